using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.ComposedRetrieval.Retrieval;
using MLNet.ComposedRetrieval.Storage;
using MLNet.ComposedRetrieval.Training;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// A trained composed-retrieval model as an ML.NET transformer: adds the composed query embedding (a Single vector of
/// <see cref="EmbeddingDimension"/>) to every row with a reference image and a modification text. Made by
/// <see cref="ComposeImageTextEstimator.Fit"/> or <see cref="Load(MLContext, string)"/>.
/// </summary>
/// <remarks>
/// <para><see cref="Transform"/> is lazy: embeddings are computed <see cref="BatchSize"/> rows at a time as the
/// result is read, and other columns pass through unchanged. It also serves ML.NET's prediction engine (one row at a
/// time). Gallery images are embedded with <c>mlContext.Transforms.EmbedImages(model)</c>; a
/// <see cref="GallerySearchEngine"/> from <see cref="CreateSearchEngine(IDataView, string, string, string?, GalleryPrecision, IProgress{WorkProgress}?)"/> (or, over any <see cref="IGalleryStore"/>, <see cref="CreateSearchEngine(IGalleryStore)"/>) answers queries.</para>
/// <para>Persistence: <see cref="Save(string)"/> writes one file (weights, options, vocabulary, preprocessing, format
/// version) that <see cref="Load(MLContext, string)"/> reads back; it replaces a file atomically, so a failed save
/// loses nothing. ML.NET's <c>mlContext.Model.Save</c> cannot hold a third-party transformer and throws a
/// <see cref="NotSupportedException"/> that says so, but only after it has created or emptied the target file (ML.NET
/// opens the file before any code of this library runs); <c>mlContext.Model.SaveComposeImageText(model, path)</c> is
/// the ML.NET-style call that saves atomically.</para>
/// <para>The transformer owns native TorchSharp memory: dispose it when done, after the embedders and search engines
/// made from it.</para>
/// </remarks>
public sealed class ComposeImageTextTransformer : ITransformer, IDisposable
{
    private readonly ComponentEnvironment _environment;
    private readonly TransformerSettings _settings;

    private string? _checksum;

    internal ComposeImageTextTransformer(ComponentEnvironment environment, ComposedRetrievalModel model,
        TransformerSettings settings, IReadOnlyList<EpochRecord> history, string? checksum = null)
    {
        _environment = environment;
        Model = model;
        _settings = settings;
        TrainingHistory = history;
        _checksum = checksum;
    }

    internal ComposedRetrievalModel Model { get; }

    internal ComponentEnvironment Environment => _environment;

    /// <summary>The column this transformer adds.</summary>
    public string OutputColumnName => _settings.OutputColumnName;

    /// <summary>The reference image column it reads (MLImage or String path).</summary>
    public string ReferenceImageColumnName => _settings.ReferenceImageColumnName;

    /// <summary>The modification text column it reads.</summary>
    public string TextColumnName => _settings.TextColumnName;

    /// <summary>The folder relative image paths are resolved against, or null.</summary>
    public string? ImageFolder => _settings.ImageFolder;

    /// <summary>Rows per network call.</summary>
    public int BatchSize => _settings.BatchSize;

    /// <summary>The width of the embeddings.</summary>
    public int EmbeddingDimension => Model.EmbeddingDimension;

    /// <summary>The image encoder the model uses.</summary>
    public ImageEncoderArchitecture ImageEncoder => Model.Description.ImageEncoder;

    /// <summary>The text encoder the model uses.</summary>
    public TextEncoderArchitecture TextEncoder => Model.Description.TextEncoder;

    /// <summary>Whether the ResNet's last stage keeps stride 1 (<see cref="ComposeImageTextEstimator.Options.Layer4StrideOne"/>).</summary>
    public bool Layer4StrideOne => Model.Description.Layer4StrideOne;

    /// <summary>How the image encoder runs at inference here, and why: for a ResNet, batch norm folded and in oneDNN's
    /// tensor layout, or dense where the host check or <see cref="NativeFastPaths"/> rules that out.</summary>
    public string ImageEncoderExecution => Model.ImageBackboneExecution;

    /// <summary>
    /// The SHA-256 (64 hex digits) identifying this model: that of the file it was loaded from, or else of the file
    /// <see cref="Save(string)"/> would write (computed once, on first use). Gallery stores record it with the embeddings
    /// they hold and refuse queries from another model (<see cref="IGalleryStore.ModelChecksum"/>).
    /// </summary>
    public string ModelChecksum => _checksum ??= ModelPersistence.Write(Stream.Null, this);

    /// <summary>What each training epoch did (loss terms, learning rate, validation recall).</summary>
    public IReadOnlyList<EpochRecord> TrainingHistory { get; }

    /// <summary>The kept epoch and validation figures of the <see cref="ComposeImageTextEstimator.Fit"/> that made this
    /// transformer; null for a loaded model.</summary>
    public TrainingOutcome? Training { get; internal init; }

    /// <summary>True: the transformer can also run row by row (ML.NET's prediction engine).</summary>
    public bool IsRowToRowMapper => true;

    /// <summary>The input schema plus the embedding column.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The reference image or text column is missing or of the wrong type.</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => CreateMapper(inputSchema).OutputSchema;

    /// <summary>The row-by-row form of this transformer, for ML.NET's prediction engine.</summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => new BatchedRowToRowMapper(CreateMapper(inputSchema));

    /// <summary>A lazy view of <paramref name="input"/> with the embedding column added; columns are checked now.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The reference image or text column is missing or of the wrong type.</exception>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new BatchedDataView(input, CreateMapper(input.Schema));
    }

    /// <summary>
    /// Embeds the images of <paramref name="gallery"/> (column <paramref name="imageColumnName"/>, MLImage or path) and
    /// indexes them under their ids (column <paramref name="imageIdColumnName"/>, String) for top-K search.
    /// </summary>
    /// <param name="gallery">The gallery rows: an id and an image each; ids must be unique.</param>
    /// <param name="imageIdColumnName">The String id column.</param>
    /// <param name="imageColumnName">The image column (MLImage or String path).</param>
    /// <param name="imageFolder">The folder relative paths are resolved against; this transformer's by default.</param>
    /// <param name="galleryPrecision">How the engine stores the gallery embeddings: float32 (the default, exact scores),
    /// or <see cref="GalleryPrecision.Half"/> / <see cref="GalleryPrecision.Int8"/> for half or about a quarter of the
    /// memory and faster search of a large gallery, ranking by the reduced-precision scores (and returning them).</param>
    /// <param name="progress">Images embedded so far (a <see cref="WorkProgress"/> of stage "gallery embeddings" per batch),
    /// with an ETA.</param>
    public GallerySearchEngine CreateSearchEngine(IDataView gallery, string imageIdColumnName = GallerySearchEngine.DefaultImageIdColumnName,
        string imageColumnName = GallerySearchEngine.DefaultImageColumnName, string? imageFolder = null,
        GalleryPrecision galleryPrecision = GalleryPrecision.Single, IProgress<WorkProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(gallery);
        return GallerySearchEngine.Create(this, gallery, imageIdColumnName, imageColumnName, imageFolder ?? ImageFolder, galleryPrecision, progress);
    }

    /// <summary>
    /// Indexes a gallery already embedded by this model (for instance with <c>mlContext.Transforms.EmbedGalleryImages</c>,
    /// cached), so the images are not embedded again.
    /// </summary>
    /// <param name="embeddedGallery">The gallery rows: an id and an embedding each; ids must be unique.</param>
    /// <param name="imageIdColumnName">The String id column.</param>
    /// <param name="embeddingColumnName">The embedding column (a Single vector of <see cref="EmbeddingDimension"/>).</param>
    /// <param name="galleryPrecision">How the engine stores the gallery embeddings: float32 (the default, exact scores),
    /// or <see cref="GalleryPrecision.Half"/> / <see cref="GalleryPrecision.Int8"/> for half or about a quarter of the
    /// memory and faster search of a large gallery, ranking by the reduced-precision scores (and returning them).</param>
    /// <exception cref="ArgumentException">The embeddings do not have this model's width.</exception>
    /// <param name="progress">Rows read so far (per batch, stage "gallery embeddings"): a gallery that
    /// <c>EmbedGalleryImages</c> embeds lazily is embedded while it is read.</param>
    public GallerySearchEngine CreateSearchEngineFromEmbeddings(IDataView embeddedGallery,
        string imageIdColumnName = GallerySearchEngine.DefaultImageIdColumnName, string embeddingColumnName = "ImageEmbedding",
        GalleryPrecision galleryPrecision = GalleryPrecision.Single, IProgress<WorkProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(embeddedGallery);
        return GallerySearchEngine.FromEmbeddings(this, embeddedGallery, imageIdColumnName, embeddingColumnName, galleryPrecision, progress);
    }

    /// <summary>
    /// Indexes the images of a <see cref="GalleryFolder"/>, embedding each image once per model file: the embeddings
    /// (float32) are kept under <paramref name="cacheFolder"/>, keyed on the model file's checksum and each image file's
    /// path, size and time, so later engines over the same (or a subset of the same) gallery load them from disk.
    /// </summary>
    /// <param name="gallery">The gallery images.</param>
    /// <param name="modelPath">The file this model was loaded from or saved to (its checksum keys the cache).</param>
    /// <param name="cacheFolder">Where the embeddings are kept (entries go under <c>gallery-embeddings/</c>).</param>
    /// <param name="galleryPrecision">How the engine stores the gallery embeddings (see
    /// <see cref="CreateSearchEngine(IDataView, string, string, string?, GalleryPrecision, IProgress{WorkProgress}?)"/>).</param>
    /// <param name="progress">Progress (count and ETA) while images are embedded.</param>
    /// <param name="cancellationToken">Stops between batches; the batches done stay cached.</param>
    /// <exception cref="FileNotFoundException">No model file at <paramref name="modelPath"/>.</exception>
    public GallerySearchEngine CreateSearchEngine(GalleryFolder gallery, string modelPath, string cacheFolder,
        GalleryPrecision galleryPrecision = GalleryPrecision.Single, IProgress<WorkProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(gallery);
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        ArgumentException.ThrowIfNullOrEmpty(cacheFolder);
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"Model file '{modelPath}' does not exist.", modelPath);
        using var scope = NewDisposeScope();
        var embeddings = GalleryEmbeddings.Load(this, modelPath, gallery, cacheFolder, BatchSize, progress, out _, cancellationToken);
        return GallerySearchEngine.FromIndex(this, new GalleryIndex(gallery.Ids, embeddings, precision: galleryPrecision));
    }

    /// <summary>
    /// The embeddings of a <see cref="GalleryFolder"/>'s images as rows of <c>ImageId</c> (String) and
    /// <c>ImageEmbedding</c> (a Single vector of <see cref="EmbeddingDimension"/>), in the folder's id order, cached on
    /// disk like <see cref="CreateSearchEngine(GalleryFolder, string, string, GalleryPrecision, IProgress{WorkProgress}?, CancellationToken)"/>'s.
    /// Embedded once, the rows serve <see cref="CreateSearchEngineFromEmbeddings"/> at any precision and
    /// <c>mlContext.Ranking.EvaluateRecallAtK</c>.
    /// </summary>
    /// <param name="gallery">The gallery images.</param>
    /// <param name="modelPath">The file this model was loaded from or saved to (its checksum keys the cache).</param>
    /// <param name="cacheFolder">Where the embeddings are kept (entries go under <c>gallery-embeddings/</c>).</param>
    /// <param name="progress">Progress (count and ETA) while images are embedded; the first report says how many are cached.</param>
    /// <param name="batchSize">Images per network call; <see cref="BatchSize"/> by default.</param>
    /// <param name="cancellationToken">Stops between batches; the batches done stay cached.</param>
    /// <exception cref="FileNotFoundException">No model file at <paramref name="modelPath"/>.</exception>
    public IDataView EmbedGalleryFolder(GalleryFolder gallery, string modelPath, string cacheFolder,
        IProgress<WorkProgress>? progress = null, int? batchSize = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(gallery);
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        ArgumentException.ThrowIfNullOrEmpty(cacheFolder);
        if (batchSize is int size) ArgumentOutOfRangeException.ThrowIfLessThan(size, 1, nameof(batchSize));
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"Model file '{modelPath}' does not exist.", modelPath);
        float[] values;
        using (NewDisposeScope())
            values = GalleryEmbeddings.Load(this, modelPath, gallery, cacheFolder, batchSize ?? BatchSize, progress, out _, cancellationToken)
                .data<float>().ToArray();
        int dimension = EmbeddingDimension;
        var rows = gallery.Ids.Select((id, i) => new GalleryEmbeddingRow
        {
            ImageId = id, ImageEmbedding = values.AsSpan(i * dimension, dimension).ToArray(),
        }).ToList();
        var definition = SchemaDefinition.Create(typeof(GalleryEmbeddingRow));
        definition[nameof(GalleryEmbeddingRow.ImageEmbedding)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, dimension);
        return (_environment.Host as MLContext ?? new MLContext(seed: 0)).Data.LoadFromEnumerable(rows, definition);
    }

    /// <summary>
    /// A search engine over a gallery kept in <paramref name="store"/>: an <see cref="InMemoryGalleryStore"/> or a
    /// <see cref="PgVectorGalleryStore"/> (<see cref="IGalleryStore"/> says which to pick when). The store stays the
    /// caller's: disposing the engine does not dispose it.
    /// </summary>
    /// <param name="store">The gallery, embedded by this model.</param>
    /// <exception cref="GalleryStoreException">The store holds another model's embeddings
    /// (<see cref="GalleryStoreFailure.ModelMismatch"/>).</exception>
    public GallerySearchEngine CreateSearchEngine(IGalleryStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return GallerySearchEngine.FromStore(this, store, ownsStore: false);
    }

    /// <summary>
    /// Writes the model to one file, created or replaced atomically: the content goes to a temporary file in the same
    /// folder, is flushed to disk and renamed over <paramref name="path"/>. A failed save (disk full, no permission, a
    /// folder at <paramref name="path"/>) leaves an existing file untouched and no temporary file behind.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The transformer was disposed.</exception>
    /// <exception cref="IOException"><paramref name="path"/> is a folder, or the file could not be written.</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Model.ThrowIfDisposed();
        AtomicFile.Write(path, Save);
    }

    /// <summary>Writes the model to <paramref name="stream"/>.</summary>
    /// <exception cref="ObjectDisposedException">The transformer was disposed.</exception>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Model.ThrowIfDisposed();
        var checksum = ModelPersistence.Write(stream, this);
        // A loaded model keeps the checksum of the file it came from (the one its gallery stores recorded).
        _checksum ??= checksum;
    }

    /// <summary>Reads a model written by <see cref="Save(string)"/>; its embeddings are bit-identical to the saved one's
    /// on the same device.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">Not a model file, another format version, truncated or corrupt.</exception>
    public static ComposeImageTextTransformer Load(MLContext mlContext, string path)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        return Load(ComponentEnvironment.From(mlContext), path);
    }

    /// <summary>Reads a model from <paramref name="stream"/> (see <see cref="Load(MLContext, string)"/>).</summary>
    public static ComposeImageTextTransformer Load(MLContext mlContext, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(stream);
        return ModelPersistence.Read(ComponentEnvironment.From(mlContext), stream, "stream");
    }

    internal static ComposeImageTextTransformer Load(ComponentEnvironment environment, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Model file '{path}' does not exist.", path);
        using var stream = File.OpenRead(path);
        return ModelPersistence.Read(environment, stream, path);
    }

    /// <summary>Not supported: ML.NET's model zip has no public way to hold a third-party transformer.</summary>
    /// <exception cref="NotSupportedException">Always; the message names the supported API.</exception>
    void ICanSaveModel.Save(ModelSaveContext ctx) => throw new NotSupportedException(SaveNotSupportedMessage);

    internal const string SaveNotSupportedMessage =
        "ComposeImageTextTransformer cannot be saved by mlContext.Model.Save: ML.NET's model zip has no public API for " +
        "third-party transformers. Save it with ComposeImageTextTransformer.Save(path) (or mlContext.Model.SaveComposeImageText(model, path)) " +
        "and load it with ComposeImageTextTransformer.Load(mlContext, path) (or mlContext.Model.LoadComposeImageText(path)). Transforms " +
        "before it in a pipeline (LoadImages, ...) hold no trained state: recreate them and Append the loaded transformer. " +
        "Note: mlContext.Model.Save(model, schema, path) creates or empties the file at path before it reaches this " +
        "transformer, so whatever that file held is gone (saving to a Stream avoids that).";

    /// <summary>Frees the network's native memory.</summary>
    public void Dispose() => Model.Dispose();

    internal TransformerSettings Settings => _settings;

    /// <summary>A transformer over the same model (not a copy: disposing either frees both) with other settings.</summary>
    internal ComposeImageTextTransformer WithSettings(TransformerSettings settings) =>
        new(_environment, Model, settings, TrainingHistory, _checksum);

    private ComposedQueryMapper CreateMapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return new ComposedQueryMapper(Model, inputSchema, OutputColumnName, ReferenceImageColumnName, TextColumnName, ImageFolder, BatchSize);
    }
}
