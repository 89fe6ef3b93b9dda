using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Retrieval;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// Exact top-K composed retrieval over an embedded gallery: give a reference image and a modification text, get the
/// gallery images that best match, best first, with their scores. Made by
/// <see cref="ComposeImageTextTransformer.CreateSearchEngine(IDataView, string, string, string?, Retrieval.GalleryPrecision)"/>.
/// </summary>
/// <remarks>
/// The single-query <c>Search</c> methods are safe to call from several threads at once. <see cref="Search(IDataView, int, string?, string, string)"/>
/// answers every row of a query data view, lazily and in batches. Dispose the engine to free the gallery's native
/// memory; it uses the model it was made from, which must stay undisposed while the engine is used.
/// </remarks>
public sealed class GallerySearchEngine : IDisposable
{
    /// <summary>The default gallery id column.</summary>
    public const string DefaultImageIdColumnName = "ImageId";

    /// <summary>The default gallery image column.</summary>
    public const string DefaultImageColumnName = "Image";

    /// <summary>The default column of found ids added by <see cref="Search(IDataView, int, string?, string, string)"/>.</summary>
    public const string DefaultResultIdsColumnName = "TopImageIds";

    /// <summary>The default column of scores added by <see cref="Search(IDataView, int, string?, string, string)"/>.</summary>
    public const string DefaultResultScoresColumnName = "TopScores";

    private readonly ComposeImageTextTransformer _model;
    private readonly GalleryIndex _index;

    private GallerySearchEngine(ComposeImageTextTransformer model, GalleryIndex index)
    {
        _model = model;
        _index = index;
    }

    internal static GallerySearchEngine Create(ComposeImageTextTransformer model, IDataView gallery, string imageIdColumnName,
        string imageColumnName, string? imageFolder, GalleryPrecision precision)
    {
        const string embeddingColumn = "__GalleryEmbedding__";
        var embedder = new GalleryImageEmbeddingTransformer(model, embeddingColumn, imageColumnName, imageFolder);
        return FromEmbeddings(model, embedder.Transform(gallery), imageIdColumnName, embeddingColumn, precision);
    }

    internal static GallerySearchEngine FromEmbeddings(ComposeImageTextTransformer model, IDataView embeddedGallery,
        string imageIdColumnName, string embeddingColumnName, GalleryPrecision precision)
    {
        var table = EmbeddingTable.Read(embeddedGallery, imageIdColumnName, embeddingColumnName, "gallery");
        if (table.Dimension != model.EmbeddingDimension)
            throw new ArgumentException(
                $"The gallery embedding column '{embeddingColumnName}' has {table.Dimension} values per row; this model's " +
                $"embeddings have {model.EmbeddingDimension}. Embed the gallery with the same model.", nameof(embeddedGallery));
        return FromIndex(model, table.ToIndex(precision));
    }

    /// <summary>An engine over a gallery already indexed with this model's embeddings; the engine owns the index.</summary>
    internal static GallerySearchEngine FromIndex(ComposeImageTextTransformer model, GalleryIndex index)
    {
        if (index.Dimension != model.EmbeddingDimension)
        {
            index.Dispose();
            throw new ArgumentException(
                $"The gallery index holds {index.Dimension}-d embeddings; this model's embeddings have {model.EmbeddingDimension}. " +
                "Embed the gallery with the same model.", nameof(index));
        }
        // An engine exists to answer single queries; without a warm-up the first one pays ~0.5 s of one-time work.
        model.Model.WarmUp();
        return new GallerySearchEngine(model, index);
    }

    /// <summary>The number of gallery images.</summary>
    public int Count => _index.Count;

    /// <summary>The gallery ids, in gallery order.</summary>
    public IReadOnlyList<string> ImageIds => _index.Ids;

    /// <summary>How the gallery embeddings are stored; scores are computed (and returned) at this precision.</summary>
    public GalleryPrecision GalleryPrecision => _index.Precision;

    /// <summary>The top <paramref name="k"/> gallery images for a reference image and a modification text.</summary>
    /// <param name="referenceImage">The image the user starts from.</param>
    /// <param name="modificationText">The requested change.</param>
    /// <param name="k">How many images to return (fewer if the gallery is smaller).</param>
    /// <param name="excludedImageId">A gallery id to leave out (usually the reference image's own).</param>
    public IReadOnlyList<SearchResult> Search(MLImage referenceImage, string modificationText, int k = 10, string? excludedImageId = null)
    {
        ArgumentNullException.ThrowIfNull(referenceImage);
        return Search(RgbImage.FromMLImage(referenceImage), modificationText, k, excludedImageId);
    }

    /// <summary>The top <paramref name="k"/> gallery images for a reference image file and a modification text.</summary>
    /// <param name="referenceImagePath">The image file (relative paths are resolved against the model's image folder).</param>
    /// <param name="modificationText">The requested change.</param>
    /// <param name="k">How many images to return (fewer if the gallery is smaller).</param>
    /// <param name="excludedImageId">A gallery id to leave out (usually the reference image's own).</param>
    public IReadOnlyList<SearchResult> Search(string referenceImagePath, string modificationText, int k = 10, string? excludedImageId = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(referenceImagePath);
        var path = _model.ImageFolder is null ? referenceImagePath : Path.Combine(_model.ImageFolder, referenceImagePath);
        return Search(ImageDecoder.Decode(path), modificationText, k, excludedImageId);
    }

    /// <summary>
    /// The composed query embeddings of several (reference image, text) pairs, computed in one network call: the first
    /// half of <see cref="Search(MLImage, string, int, string?)"/>, for callers that batch queries or time the stages.
    /// </summary>
    /// <param name="referenceImages">The reference images.</param>
    /// <param name="modificationTexts">The requested changes, one per image.</param>
    /// <returns>One embedding of <see cref="ComposeImageTextTransformer.EmbeddingDimension"/> values per pair, in order.</returns>
    public float[][] EmbedQueries(IReadOnlyList<MLImage> referenceImages, IReadOnlyList<string> modificationTexts)
    {
        ArgumentNullException.ThrowIfNull(referenceImages);
        ArgumentNullException.ThrowIfNull(modificationTexts);
        if (referenceImages.Count != modificationTexts.Count)
            throw new ArgumentException($"{referenceImages.Count} reference images but {modificationTexts.Count} texts.", nameof(modificationTexts));
        var model = _model.Model;
        var images = referenceImages.Select(image => model.Prepare(RgbImage.FromMLImage(image ?? throw new ArgumentNullException(nameof(referenceImages))))).ToList();
        var texts = modificationTexts.Select(text => TextColumnReader.Normalize(text ?? throw new ArgumentNullException(nameof(modificationTexts)))).ToList();
        var values = new float[images.Count * model.EmbeddingDimension];
        model.ComposeQueries(images, texts, values);
        return values.Chunk(model.EmbeddingDimension).ToArray();
    }

    /// <summary>The top <paramref name="k"/> gallery images for a query embedding from <see cref="EmbedQueries"/>: the
    /// second half of <see cref="Search(MLImage, string, int, string?)"/>.</summary>
    /// <param name="queryEmbedding">A composed query embedding of this engine's model.</param>
    /// <param name="k">How many images to return (fewer if the gallery is smaller).</param>
    /// <param name="excludedImageId">A gallery id to leave out (usually the reference image's own).</param>
    public IReadOnlyList<SearchResult> Search(float[] queryEmbedding, int k = 10, string? excludedImageId = null)
    {
        ArgumentNullException.ThrowIfNull(queryEmbedding);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (queryEmbedding.Length != _model.EmbeddingDimension)
            throw new ArgumentException($"The query embedding has {queryEmbedding.Length} values; this model's have {_model.EmbeddingDimension}.", nameof(queryEmbedding));
        return Results(Rank(queryEmbedding, 1, k, [excludedImageId])[0]);
    }

    /// <summary>
    /// Adds the top <paramref name="k"/> gallery ids (a String vector, best first) and their scores (a Single vector) to
    /// every row of <paramref name="queries"/>, which needs the model's reference image and text columns. Lazy and
    /// batched; other columns pass through.
    /// </summary>
    /// <param name="queries">The query rows.</param>
    /// <param name="k">How many images per query.</param>
    /// <param name="excludedImageIdColumnName">An optional String column naming, per row, a gallery id to leave out.</param>
    /// <param name="resultIdsColumnName">The column of found ids.</param>
    /// <param name="resultScoresColumnName">The column of their scores.</param>
    public IDataView Search(IDataView queries, int k = 10, string? excludedImageIdColumnName = null,
        string resultIdsColumnName = DefaultResultIdsColumnName, string resultScoresColumnName = DefaultResultScoresColumnName)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var mapper = new GallerySearchMapper(this, queries.Schema, k, excludedImageIdColumnName, resultIdsColumnName, resultScoresColumnName);
        return new BatchedDataView(queries, mapper);
    }

    /// <summary>Frees the gallery embeddings.</summary>
    public void Dispose() => _index.Dispose();

    internal ComposeImageTextTransformer Model => _model;

    /// <summary>Rankings for query embeddings [Q, D] (one excluded id or null per query).</summary>
    internal IReadOnlyList<GalleryRanking> Rank(ReadOnlySpan<float> queries, int count, int k, IReadOnlyList<string?>? excluded)
    {
        using var scope = NewDisposeScope();
        return _index.Search(tensor(queries.ToArray(), [count, _model.EmbeddingDimension]), k, excluded);
    }

    private IReadOnlyList<SearchResult> Search(RgbImage reference, string modificationText, int k, string? excludedImageId)
    {
        ArgumentNullException.ThrowIfNull(modificationText);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var model = _model.Model;
        Span<float> query = stackalloc float[model.EmbeddingDimension];
        model.ComposeQueries([model.Prepare(reference)], [TextColumnReader.Normalize(modificationText)], query);
        return Results(Rank(query, 1, k, [excludedImageId])[0]);
    }

    private static SearchResult[] Results(GalleryRanking ranking)
    {
        var results = new SearchResult[ranking.Count];
        for (int i = 0; i < results.Length; i++) results[i] = new SearchResult(ranking.Ids[i], ranking.Scores[i]);
        return results;
    }
}
