namespace MLNet.ComposedRetrieval;

/// <summary>One query to an <see cref="IGalleryStore"/>.</summary>
/// <param name="Embedding">The composed query embedding (as wide as the store's embeddings).</param>
/// <param name="ExcludedImageId">A gallery id to leave out of the ranking (the query's own reference image, as in
/// evaluation), or null.</param>
/// <param name="Category">Only images of this category (metadata stored with the gallery), or null for all.</param>
public sealed record GalleryStoreQuery(ReadOnlyMemory<float> Embedding, string? ExcludedImageId = null, string? Category = null);
