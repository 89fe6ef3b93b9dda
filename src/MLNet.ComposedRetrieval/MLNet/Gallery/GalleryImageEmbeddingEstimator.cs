using Microsoft.ML;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// The estimator form of <see cref="GalleryImageEmbeddingTransformer"/>, so gallery embedding fits in a pipeline: it
/// learns nothing (the model is already trained), and <see cref="Fit"/> only checks the input's columns.
/// </summary>
public sealed class GalleryImageEmbeddingEstimator : IEstimator<GalleryImageEmbeddingTransformer>
{
    private readonly GalleryImageEmbeddingTransformer _transformer;

    internal GalleryImageEmbeddingEstimator(GalleryImageEmbeddingTransformer transformer) => _transformer = transformer;

    /// <summary>Returns the transformer after checking <paramref name="input"/> has the image column.</summary>
    public GalleryImageEmbeddingTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        _transformer.GetOutputSchema(input.Schema);
        return _transformer;
    }

    /// <summary>The input shape plus the embedding column.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ColumnBinding.CheckImage(inputSchema, _transformer.InputColumnName, "gallery image");
        return SchemaShapes.AppendSingleVector(inputSchema, _transformer.OutputColumnName, _transformer.EmbeddingDimension);
    }
}
