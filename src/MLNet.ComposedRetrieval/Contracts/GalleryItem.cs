namespace MLNet.ComposedRetrieval;

/// <summary>One gallery product to put into a <see cref="PgVectorGalleryStore"/>.</summary>
/// <param name="Id">Its unique id (the image id).</param>
/// <param name="Embedding">Its image embedding from the collection's model (<c>EmbedGalleryImages</c>).</param>
/// <param name="Title">An optional title, returned as metadata.</param>
/// <param name="Category">An optional category, which queries can filter on.</param>
public sealed record GalleryItem(string Id, ReadOnlyMemory<float> Embedding, string? Title = null, string? Category = null);
