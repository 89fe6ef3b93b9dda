namespace MLNet.ComposedRetrieval;

/// <summary>One row of an embedded gallery: the column names are the defaults of
/// <see cref="ComposeImageTextTransformer.CreateSearchEngineFromEmbeddings"/> and <c>EvaluateRecallAtK</c>.</summary>
internal sealed class GalleryEmbeddingRow
{
    public string ImageId { get; set; } = "";

    public float[] ImageEmbedding { get; set; } = [];
}
