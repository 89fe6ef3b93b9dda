namespace MLNet.ComposedRetrieval.Experiment;

/// <summary>An embedded evaluation query; the property names are <c>EvaluateRecallAtK</c>'s default column names.</summary>
internal sealed class EmbeddedQueryRow
{
    public string ReferenceImageId { get; set; } = "";

    public string TargetImageIds { get; set; } = "";

    public float[] QueryEmbedding { get; set; } = [];
}
