namespace MLNet.ComposedRetrieval;

/// <summary>The pgvector column type a <see cref="PgVectorGalleryStore"/> stores embeddings in.</summary>
public enum PgVectorStorage
{
    /// <summary><c>halfvec(D)</c>: 2 bytes a value, scored like <see cref="GalleryPrecision.Half"/>. The default.</summary>
    HalfVec = 0,

    /// <summary><c>vector(D)</c>: 4 bytes a value, scored like <see cref="GalleryPrecision.Single"/>.</summary>
    Vector = 1,
}
