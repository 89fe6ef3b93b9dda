using Microsoft.ML;
using MLNet.ComposedRetrieval.Retrieval;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Experiment;

/// <summary>
/// The <c>query</c> command: the top K gallery images for one reference image and one modification text, with a saved
/// model's <see cref="GallerySearchEngine"/> over the (cached) gallery embeddings. The reference image itself is left
/// out when the gallery holds it. With <c>--store</c> the gallery is kept in PostgreSQL + pgvector
/// (<see cref="PgVectorGalleryStore"/>): the embeddings missing there are ingested first, then the store answers.
/// </summary>
internal sealed class GalleryQuery(ExperimentOptions options, TextWriter console)
{
    public IReadOnlyList<SearchResult> Run(CancellationToken cancellationToken = default)
    {
        set_num_threads(options.Threads);
        var modelPath = ModelEvaluation.ExistingModel(options.Model!);
        var imagePath = Path.GetFullPath(options.Image!);
        if (!File.Exists(imagePath)) throw new FileNotFoundException($"Query image '{imagePath}' does not exist.", imagePath);
        var gallery = GalleryFolder.Open(options.Gallery!, options.Split);
        if (gallery.MissingImages.Count > 0)
            console.WriteLine($"  {gallery.MissingImages.Count} ids of the split file have no image in the gallery folder (e.g. {gallery.MissingImages[0].ImageId}); searching the {gallery.Ids.Count} others.");

        using var model = ComposeImageTextTransformer.Load(new MLContext(seed: 0), modelPath);
        GallerySearchEngine engine;
        PgVectorGalleryStore? store = null;
        using (var scope = NewDisposeScope())
        {
            var embeddings = GalleryEmbeddings.Load(model, modelPath, gallery, options.CacheFolder, options.BatchSize,
                new ConsoleProgress(console), message => console.WriteLine("  " + message), out _, cancellationToken);
            if (options.Store is null)
                engine = GallerySearchEngine.FromIndex(model, new GalleryIndex(gallery.Ids, embeddings, precision: options.GalleryPrecisions[0]));
            else
            {
                store = OpenStore(model, gallery.Ids, embeddings, cancellationToken);
                engine = model.CreateSearchEngine(store);
            }
        }
        try
        {
            using (engine)
            {
                var results = engine.Search(imagePath, options.Text!, options.TopK, SameImageInGallery(gallery, imagePath));
                console.WriteLine($"Top {results.Count} for {imagePath} + \"{options.Text}\":");
                for (int i = 0; i < results.Count; i++)
                    console.WriteLine($"{i + 1,4}  {results[i].Score,9:F4}  {results[i].ImageId}  {gallery.PathOf(results[i].ImageId)}");
                return results;
            }
        }
        finally
        {
            store?.Dispose();
        }
    }

    /// <summary>The model's collection in the store, with every gallery embedding it lacks added (ids present are skipped).</summary>
    private PgVectorGalleryStore OpenStore(ComposeImageTextTransformer model, IReadOnlyList<string> ids, Tensor embeddings, CancellationToken cancellationToken)
    {
        var collection = options.Collection ?? "gallery_" + model.ModelChecksum[..12];
        var store = PgVectorGalleryStore.OpenAsync(options.Store!, model.ModelChecksum, model.EmbeddingDimension,
            new PgVectorGalleryOptions { Collection = collection }, cancellationToken).GetAwaiter().GetResult();
        try
        {
            if (store.CountAsync(cancellationToken).GetAwaiter().GetResult() < ids.Count)
            {
                var values = embeddings.contiguous().data<float>().ToArray();
                var width = model.EmbeddingDimension;
                var items = ids.Select((id, i) => new GalleryItem(id, values.AsMemory(i * width, width)));
                var progress = new Progress<GalleryIngestProgress>(p =>
                    console.WriteLine($"  store: {p.Read:N0} of {ids.Count:N0} read, {p.Inserted:N0} added, {p.Skipped:N0} already there"));
                var done = store.IngestAsync(items, progress, cancellationToken: cancellationToken).GetAwaiter().GetResult();
                console.WriteLine($"  store: collection '{collection}' now holds the gallery ({done.Inserted:N0} added in {done.Elapsed.TotalSeconds:N1} s, index built).");
            }
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>The gallery id of the query image when the gallery holds that very image (same file, or same id and bytes).</summary>
    private static string? SameImageInGallery(GalleryFolder gallery, string imagePath)
    {
        var id = GalleryFolder.IdOf(imagePath);
        if (!gallery.Contains(id)) return null;
        var galleryPath = gallery.PathOf(id);
        if (string.Equals(galleryPath, imagePath, StringComparison.Ordinal)) return id;
        return File.ReadAllBytes(galleryPath).AsSpan().SequenceEqual(File.ReadAllBytes(imagePath)) ? id : null;
    }
}
