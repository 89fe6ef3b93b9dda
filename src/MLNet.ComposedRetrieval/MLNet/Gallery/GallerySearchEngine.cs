using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Retrieval;
using MLNet.ComposedRetrieval.Training;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// Top-K composed retrieval over an embedded gallery: give a reference image and a modification text, get the
/// gallery images that best match, best first, with their scores. Made by
/// <see cref="ComposeImageTextTransformer.CreateSearchEngine(IDataView, string, string, string?, GalleryPrecision, IProgress{WorkProgress}?)"/>
/// (an exact in-memory gallery) or <see cref="ComposeImageTextTransformer.CreateSearchEngine(IGalleryStore)"/> (any
/// <see cref="IGalleryStore"/>: in memory, or PostgreSQL + pgvector; the interface's docs say which to pick when).
/// </summary>
/// <remarks>
/// The single-query <c>Search</c> methods are safe to call from several threads at once; <c>SearchAsync</c> also takes
/// a category filter and a cancellation token. <see cref="Search(IDataView, int, string?, string, string)"/>
/// answers every row of a query data view, lazily and in batches. Dispose the engine to free a gallery it made
/// (a store given to it stays the caller's); it uses the model it was made from, which must stay undisposed while the
/// engine is used.
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
    private readonly IGalleryStore _store;
    private readonly bool _ownsStore;

    private GallerySearchEngine(ComposeImageTextTransformer model, IGalleryStore store, bool ownsStore)
    {
        _model = model;
        _store = store;
        _ownsStore = ownsStore;
    }

    internal static GallerySearchEngine Create(ComposeImageTextTransformer model, IDataView gallery, string imageIdColumnName,
        string imageColumnName, string? imageFolder, GalleryPrecision precision, IProgress<WorkProgress>? progress = null)
    {
        const string embeddingColumn = "__GalleryEmbedding__";
        var embedder = new GalleryImageEmbeddingTransformer(model, embeddingColumn, imageColumnName, imageFolder);
        return FromEmbeddings(model, embedder.Transform(gallery), imageIdColumnName, embeddingColumn, precision, progress);
    }

    internal static GallerySearchEngine FromEmbeddings(ComposeImageTextTransformer model, IDataView embeddedGallery,
        string imageIdColumnName, string embeddingColumnName, GalleryPrecision precision, IProgress<WorkProgress>? progress = null)
    {
        var table = EmbeddingTable.Read(embeddedGallery, imageIdColumnName, embeddingColumnName, progress, model.BatchSize);
        if (table.Dimension != model.EmbeddingDimension)
            throw new ArgumentException(
                $"The gallery embedding column '{embeddingColumnName}' has {table.Dimension} values per row; this model's " +
                $"embeddings have {model.EmbeddingDimension}. Embed the gallery with the same model.", nameof(embeddedGallery));
        return FromIndex(model, table.ToIndex(precision));
    }

    /// <summary>An engine over a gallery already indexed with this model's embeddings; the engine owns the index.</summary>
    internal static GallerySearchEngine FromIndex(ComposeImageTextTransformer model, GalleryIndex index) =>
        FromStore(model, new InMemoryGalleryStore(index, modelChecksum: null), ownsStore: true);

    /// <summary>An engine over <paramref name="store"/>, which must hold this model's embeddings.</summary>
    internal static GallerySearchEngine FromStore(ComposeImageTextTransformer model, IGalleryStore store, bool ownsStore)
    {
        Exception? refused = null;
        if (store.Dimension != model.EmbeddingDimension)
            refused = new ArgumentException(
                $"The gallery store holds {store.Dimension}-d embeddings; this model's embeddings have {model.EmbeddingDimension}. " +
                "Embed the gallery with the same model.", nameof(store));
        else if (store.ModelChecksum is { } checksum && !string.Equals(checksum, model.ModelChecksum, StringComparison.OrdinalIgnoreCase))
            refused = new GalleryStoreException(GalleryStoreFailure.ModelMismatch,
                $"The gallery store holds embeddings of the model with checksum {checksum}; this model's checksum is " +
                $"{model.ModelChecksum}. Embeddings of different models cannot be compared: search it with the model that " +
                "embedded it, or embed the gallery again with this one.");
        if (refused is not null)
        {
            if (ownsStore) store.Dispose();
            throw refused;
        }
        // An engine exists to answer single queries; without a warm-up the first one pays ~0.5 s of one-time work.
        model.Model.WarmUp();
        return new GallerySearchEngine(model, store, ownsStore);
    }

    /// <summary>Where the gallery is kept.</summary>
    public IGalleryStore Store => _store;

    /// <summary>The number of gallery images (a database store is asked).</summary>
    public int Count => _store is InMemoryGalleryStore memory ? memory.Count : checked((int)_store.CountAsync().GetAwaiter().GetResult());

    /// <summary>The gallery ids, in gallery order.</summary>
    /// <exception cref="NotSupportedException">The gallery is in a database store, which does not list its ids.</exception>
    public IReadOnlyList<string> ImageIds => _store is InMemoryGalleryStore memory
        ? memory.Ids
        : throw new NotSupportedException("A database gallery store does not list its ids; query the database for them.");

    /// <summary>How the gallery embeddings are stored; scores are computed (and returned) at this precision.</summary>
    public GalleryPrecision GalleryPrecision => _store.Precision;

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
        return Search(ImageDecoder.Decode(ResolvePath(referenceImagePath)), modificationText, k, excludedImageId);
    }

    /// <summary>
    /// The top <paramref name="k"/> gallery images for a reference image and a modification text, optionally only of
    /// one category (a store with metadata, such as <see cref="PgVectorGalleryStore"/>).
    /// </summary>
    /// <param name="referenceImage">The image the user starts from.</param>
    /// <param name="modificationText">The requested change.</param>
    /// <param name="k">How many images to return (fewer if fewer match).</param>
    /// <param name="excludedImageId">A gallery id to leave out (usually the reference image's own).</param>
    /// <param name="category">Only images of this category; null for all.</param>
    /// <param name="cancellationToken">Cancels the search.</param>
    public Task<IReadOnlyList<SearchResult>> SearchAsync(MLImage referenceImage, string modificationText, int k = 10,
        string? excludedImageId = null, string? category = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(referenceImage);
        return SearchAsync(RgbImage.FromMLImage(referenceImage), modificationText, k, excludedImageId, category, cancellationToken);
    }

    /// <summary>
    /// The top <paramref name="k"/> gallery images for a reference image file and a modification text, optionally only
    /// of one category.
    /// </summary>
    /// <param name="referenceImagePath">The image file (relative paths are resolved against the model's image folder).</param>
    /// <param name="modificationText">The requested change.</param>
    /// <param name="k">How many images to return (fewer if fewer match).</param>
    /// <param name="excludedImageId">A gallery id to leave out (usually the reference image's own).</param>
    /// <param name="category">Only images of this category; null for all.</param>
    /// <param name="cancellationToken">Cancels the search.</param>
    public Task<IReadOnlyList<SearchResult>> SearchAsync(string referenceImagePath, string modificationText, int k = 10,
        string? excludedImageId = null, string? category = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(referenceImagePath);
        return SearchAsync(ImageDecoder.Decode(ResolvePath(referenceImagePath)), modificationText, k, excludedImageId, category, cancellationToken);
    }

    /// <summary>
    /// The composed query embeddings of several (reference image, text) pairs, computed in one network call: the first
    /// half of <see cref="Search(MLImage, string, int, string?)"/>, for callers that batch queries or time the stages.
    /// All pairs go through the network at once, so memory grows with their number (a thousand photos take gigabytes):
    /// for a whole query set use <see cref="EmbedQueries(IReadOnlyList{string}, IReadOnlyList{string}, IProgress{WorkProgress}?, int?, CancellationToken)"/>,
    /// which embeds batch by batch.
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
        return ComposeEmbeddings(referenceImages.Select(image => RgbImage.FromMLImage(image ?? throw new ArgumentNullException(nameof(referenceImages)))).ToList(),
            modificationTexts);
    }

    /// <summary>
    /// The composed query embeddings of several (reference image file, text) pairs, computed in one network call: as
    /// <see cref="EmbedQueries(IReadOnlyList{MLImage}, IReadOnlyList{string})"/>, the images decoded the way
    /// <see cref="Search(string, string, int, string?)"/> decodes them. All pairs go through the network at once; the
    /// overload with progress embeds a whole query set batch by batch.
    /// </summary>
    /// <param name="referenceImagePaths">The image files (relative paths are resolved against the model's image folder).</param>
    /// <param name="modificationTexts">The requested changes, one per image.</param>
    /// <returns>One embedding of <see cref="ComposeImageTextTransformer.EmbeddingDimension"/> values per pair, in order.</returns>
    public float[][] EmbedQueries(IReadOnlyList<string> referenceImagePaths, IReadOnlyList<string> modificationTexts)
    {
        ArgumentNullException.ThrowIfNull(referenceImagePaths);
        ArgumentNullException.ThrowIfNull(modificationTexts);
        if (referenceImagePaths.Count != modificationTexts.Count)
            throw new ArgumentException($"{referenceImagePaths.Count} reference images but {modificationTexts.Count} texts.", nameof(modificationTexts));
        return ComposeEmbeddings(referenceImagePaths.Select(path => ImageDecoder.Decode(ResolvePath(
            string.IsNullOrEmpty(path) ? throw new ArgumentException("A reference image path is empty.", nameof(referenceImagePaths)) : path))).ToList(),
            modificationTexts);
    }

    /// <summary>
    /// The composed query embeddings of many (reference image file, text) pairs, <paramref name="batchSize"/> pairs per
    /// network call, reporting after each batch: for a whole query set (an evaluation), where one call would hold every
    /// image in memory at once and report nothing until the end.
    /// </summary>
    /// <param name="referenceImagePaths">The image files (relative paths are resolved against the model's image folder).</param>
    /// <param name="modificationTexts">The requested changes, one per image.</param>
    /// <param name="progress">Receives "query embeddings" with the pairs done after each batch; null for none.</param>
    /// <param name="batchSize">Pairs per network call; by default the model's inference batch size.</param>
    /// <param name="cancellationToken">Checked before each batch.</param>
    /// <returns>One embedding of <see cref="ComposeImageTextTransformer.EmbeddingDimension"/> values per pair, in order.</returns>
    public float[][] EmbedQueries(IReadOnlyList<string> referenceImagePaths, IReadOnlyList<string> modificationTexts,
        IProgress<WorkProgress>? progress, int? batchSize = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(referenceImagePaths);
        ArgumentNullException.ThrowIfNull(modificationTexts);
        if (referenceImagePaths.Count != modificationTexts.Count)
            throw new ArgumentException($"{referenceImagePaths.Count} reference images but {modificationTexts.Count} texts.", nameof(modificationTexts));
        var embeddings = new List<float[]>(referenceImagePaths.Count);
        var clock = Stopwatch.StartNew();
        foreach (var batch in BatchRanges.Of(referenceImagePaths.Count, batchSize ?? _model.BatchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            embeddings.AddRange(EmbedQueries(referenceImagePaths.Take(batch).ToList(), modificationTexts.Take(batch).ToList()));
            progress?.Report(new WorkProgress("query embeddings", embeddings.Count, referenceImagePaths.Count, clock.Elapsed));
        }
        return embeddings.ToArray();
    }

    private float[][] ComposeEmbeddings(IReadOnlyList<RgbImage> referenceImages, IReadOnlyList<string> modificationTexts)
    {
        var model = _model.Model;
        var images = referenceImages.Select(model.Prepare).ToList();
        var texts = modificationTexts.Select(text => TextColumnReader.Normalize(text ?? throw new ArgumentNullException(nameof(modificationTexts)))).ToList();
        var values = new float[images.Count * model.EmbeddingDimension];
        model.ComposeQueries(images, texts, values);
        return values.Chunk(model.EmbeddingDimension).ToArray();
    }

    /// <summary>The top <paramref name="k"/> gallery images for a query embedding from <see cref="EmbedQueries(IReadOnlyList{MLImage}, IReadOnlyList{string})"/>: the
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
        return ToResults(Rank(queryEmbedding, 1, k, [excludedImageId])[0]);
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

    /// <summary>Frees the gallery embeddings if the engine made them (a store given to it stays open).</summary>
    public void Dispose()
    {
        if (_ownsStore) _store.Dispose();
    }

    internal ComposeImageTextTransformer Model => _model;

    /// <summary>Rankings for query embeddings [Q, D] (one excluded id or null per query).</summary>
    internal IReadOnlyList<GalleryRanking> Rank(ReadOnlySpan<float> queries, int count, int k, IReadOnlyList<string?>? excluded)
    {
        if (_store is InMemoryGalleryStore memory)
        {
            // The index scores the whole batch in one pass over the gallery.
            using var scope = NewDisposeScope();
            return memory.Index.Search(tensor(queries.ToArray(), [count, _model.EmbeddingDimension]), k, excluded);
        }
        return _store.Search(ToQueries(queries.ToArray(), count, excluded, null), k);
    }

    private IReadOnlyList<SearchResult> Search(RgbImage reference, string modificationText, int k, string? excludedImageId)
    {
        var query = Compose(reference, modificationText, k);
        return ToResults(Rank(query, 1, k, [excludedImageId])[0]);
    }

    private async Task<IReadOnlyList<SearchResult>> SearchAsync(RgbImage reference, string modificationText, int k, string? excludedImageId,
        string? category, CancellationToken cancellationToken)
    {
        var query = Compose(reference, modificationText, k);
        var rankings = await _store.SearchAsync(ToQueries(query, 1, [excludedImageId], category), k, cancellationToken).ConfigureAwait(false);
        return ToResults(rankings[0]);
    }

    /// <summary>The composed query embedding of one reference image and text.</summary>
    private float[] Compose(RgbImage reference, string modificationText, int k)
    {
        ArgumentNullException.ThrowIfNull(modificationText);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var model = _model.Model;
        var query = new float[model.EmbeddingDimension];
        model.ComposeQueries([model.Prepare(reference)], [TextColumnReader.Normalize(modificationText)], query);
        return query;
    }

    private IReadOnlyList<GalleryStoreQuery> ToQueries(float[] values, int count, IReadOnlyList<string?>? excluded, string? category)
    {
        var dimension = _model.EmbeddingDimension;
        var queries = new GalleryStoreQuery[count];
        for (var q = 0; q < count; q++)
            queries[q] = new GalleryStoreQuery(values.AsMemory(q * dimension, dimension), excluded?[q], category);
        return queries;
    }

    private static IReadOnlyList<SearchResult> ToResults(GalleryRanking ranking)
    {
        var results = new SearchResult[ranking.Count];
        for (int i = 0; i < results.Length; i++) results[i] = new SearchResult(ranking.Ids[i], ranking.Scores[i]);
        return results;
    }

    private string ResolvePath(string path) => _model.ImageFolder is null ? path : Path.Combine(_model.ImageFolder, path);
}
