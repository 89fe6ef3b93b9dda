using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// Adds the embedding of each row's image as a gallery (target) image, with the image branch of a trained
/// <see cref="ComposeImageTextTransformer"/>: the vectors composed queries are scored against. Lazy and batched like
/// the query transform. Made by <c>mlContext.Transforms.EmbedGalleryImages(model)</c>.
/// </summary>
public sealed class GalleryImageEmbeddingTransformer : ITransformer
{
    private readonly ComposeImageTextTransformer _model;

    internal GalleryImageEmbeddingTransformer(ComposeImageTextTransformer model, string outputColumnName, string inputColumnName, string? imageFolder)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputColumnName);
        ArgumentException.ThrowIfNullOrWhiteSpace(inputColumnName);
        _model = model;
        OutputColumnName = outputColumnName;
        InputColumnName = inputColumnName;
        ImageFolder = imageFolder;
    }

    /// <summary>The embedding column added.</summary>
    public string OutputColumnName { get; }

    /// <summary>The image column read (MLImage or String path).</summary>
    public string InputColumnName { get; }

    /// <summary>The folder relative image paths are resolved against, or null.</summary>
    public string? ImageFolder { get; }

    /// <summary>The width of the embeddings.</summary>
    public int EmbeddingDimension => _model.EmbeddingDimension;

    /// <summary>True: also runs row by row (ML.NET's prediction engine).</summary>
    public bool IsRowToRowMapper => true;

    /// <summary>The input schema plus the embedding column.</summary>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => CreateMapper(inputSchema).OutputSchema;

    /// <summary>The row-by-row form, for ML.NET's prediction engine.</summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => new BatchedRowToRowMapper(CreateMapper(inputSchema));

    /// <summary>A lazy view of <paramref name="input"/> with the embedding column added.</summary>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new BatchedDataView(input, CreateMapper(input.Schema));
    }

    /// <summary>Not supported: ML.NET's model zip has no public way to hold a third-party transformer. Save the
    /// <see cref="ComposeImageTextTransformer"/> instead and recreate this transform from the loaded model.</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => throw new NotSupportedException(ComposeImageTextTransformer.SaveNotSupportedMessage);

    internal ImageEmbeddingMapper CreateMapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return new ImageEmbeddingMapper(_model.Model, inputSchema, OutputColumnName, InputColumnName, ImageFolder, _model.BatchSize);
    }
}
