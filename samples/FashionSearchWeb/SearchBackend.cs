using FashionProductSearch;
using Microsoft.ML;
using MLNet.ComposedRetrieval;

namespace FashionSearchWeb;

/// <summary>
/// What the API searches with once the service is ready: the model, one <see cref="GallerySearchEngine"/> per gallery
/// precision over the same cached embeddings, the gallery's files, product titles and known ground truth. The engines are
/// the seam another gallery store plugs into.
/// </summary>
internal sealed class SearchBackend : IAsyncDisposable
{
    private readonly ComposeImageTextTransformer _model;
    private readonly IReadOnlyDictionary<GalleryPrecision, GallerySearchEngine> _engines;
    private readonly IReadOnlyDictionary<string, string> _titles;
    private readonly IReadOnlyDictionary<string, IReadOnlyList<string>> _targets;
    private readonly IGalleryStore? _store;

    private SearchBackend(ComposeImageTextTransformer model, string modelPath, GalleryFolder gallery,
        IReadOnlyDictionary<GalleryPrecision, GallerySearchEngine> engines, IReadOnlyDictionary<string, string> titles,
        IReadOnlyList<ExampleQuery> examples, int queryBatch, IGalleryStore? store)
    {
        _model = model;
        _store = store;
        ModelPath = modelPath;
        Gallery = gallery;
        _engines = engines;
        _titles = titles;
        Examples = examples;
        _targets = examples.GroupBy(e => Key(e.ReferenceId, e.Text)).ToDictionary(g => g.Key, g => g.First().Targets);
        Batcher = new QueryBatcher(engines[GalleryPrecision.Single], queryBatch);
    }

    public string ModelPath { get; }

    public GalleryFolder Gallery { get; }

    /// <summary>Queries of the val file among gallery images: the page offers them, with their ground truth.</summary>
    public IReadOnlyList<ExampleQuery> Examples { get; }

    public QueryBatcher Batcher { get; }

    public GallerySearchEngine Engine(GalleryPrecision precision) => _engines[precision];

    public string? Title(string id) => _titles.TryGetValue(id, out var title) ? title : null;

    /// <summary>The known targets of a reference and text (a val query), or empty.</summary>
    public IReadOnlyList<string> Targets(string referenceId, string text) =>
        _targets.TryGetValue(Key(referenceId, text), out var targets) ? targets : [];

    /// <summary>Loads the model, embeds the gallery (cached on disk) and indexes it at every precision.</summary>
    public static SearchBackend Open(string modelPath, WebOptions options, ServiceStatus status, CancellationToken cancellationToken)
    {
        status.Stage("loading the model", modelPath);
        var model = ComposeImageTextTransformer.Load(new MLContext(seed: 0), modelPath);
        var engines = new Dictionary<GalleryPrecision, GallerySearchEngine>();
        PgVectorGalleryStore? store = null;
        try
        {
            status.Stage("listing the gallery", options.Gallery);
            var gallery = GalleryFolder.Open(options.Gallery, options.Split);
            if (options.Store is null)
            {
                // The first engine embeds the gallery (or loads it from the cache); the others load what it cached.
                foreach (var precision in WebOptions.Precisions.Values)
                    engines[precision] = model.CreateSearchEngine(gallery, modelPath, options.CacheFolder, precision, status, cancellationToken);
            }
            else
            {
                store = OpenStore(model, modelPath, gallery, options, status, cancellationToken);
                // The store keeps halfvec embeddings and re-ranks its candidates exactly: one engine answers every precision.
                var engine = model.CreateSearchEngine(store);
                foreach (var precision in WebOptions.Precisions.Values) engines[precision] = engine;
            }
            var titles = options.Titles is null ? new Dictionary<string, string>() : ReadTitles(options.Titles);
            var examples = options.Queries is null ? [] : ExampleQuery.Read(options.Queries, gallery);
            return new SearchBackend(model, modelPath, gallery, engines, titles, examples, options.QueryBatch, store);
        }
        catch
        {
            foreach (var engine in engines.Values.Distinct()) engine.Dispose();
            store?.Dispose();
            model.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Batcher.DisposeAsync();
        foreach (var engine in _engines.Values.Distinct()) engine.Dispose();
        _store?.Dispose();
        _model.Dispose();
    }

    /// <summary>The model's collection in PostgreSQL + pgvector, with the gallery images it lacks embedded and added.</summary>
    private static PgVectorGalleryStore OpenStore(ComposeImageTextTransformer model, string modelPath, GalleryFolder gallery,
        WebOptions options, ServiceStatus status, CancellationToken cancellationToken)
    {
        status.Stage("opening the gallery store", options.Collection ?? "");
        var collection = options.Collection ?? "gallery_" + model.ModelChecksum[..12];
        var store = PgVectorGalleryStore.OpenAsync(options.Store!, model.ModelChecksum, model.EmbeddingDimension,
            new PgVectorGalleryOptions { Collection = collection }, cancellationToken).GetAwaiter().GetResult();
        try
        {
            store.IngestGalleryFolderAsync(model, modelPath, gallery, options.CacheFolder, status, cancellationToken: cancellationToken)
                .GetAwaiter().GetResult();
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>Titles by gallery id (styles.csv names images by file: "1163.jpg").</summary>
    private static Dictionary<string, string> ReadTitles(string stylesCsv) =>
        ProductTitles.Read(stylesCsv).ToDictionary(pair => GalleryFolder.IdOf(pair.Key), pair => pair.Value, StringComparer.Ordinal);

    private static string Key(string referenceId, string text) => referenceId + "\n" + text.Trim().ToLowerInvariant();
}
