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
        if (gallery.MissingImageIds.Count > 0)
            console.WriteLine($"  {gallery.MissingImageIds.Count} ids of the split file have no image in the gallery folder (e.g. {gallery.MissingImageIds[0]}); searching the {gallery.Ids.Count} others.");

        using var model = ComposeImageTextTransformer.Load(new MLContext(seed: 0), modelPath);
        GallerySearchEngine engine;
        PgVectorGalleryStore? store = null;
        if (options.Store is null)
            engine = model.CreateSearchEngine(gallery, modelPath, options.CacheFolder, options.GalleryPrecisions[0], new ConsoleProgress(console), cancellationToken);
        else
        {
            store = OpenStore(model, modelPath, gallery, cancellationToken);
            engine = model.CreateSearchEngine(store);
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

    /// <summary>The model's collection in the store, with every gallery image it lacks added (ids present are skipped).</summary>
    private PgVectorGalleryStore OpenStore(ComposeImageTextTransformer model, string modelPath, GalleryFolder gallery, CancellationToken cancellationToken)
    {
        var collection = options.Collection ?? "gallery_" + model.ModelChecksum[..12];
        var store = PgVectorGalleryStore.OpenAsync(options.Store!, model.ModelChecksum, model.EmbeddingDimension,
            new PgVectorGalleryOptions { Collection = collection }, cancellationToken).GetAwaiter().GetResult();
        try
        {
            var progress = new Progress<GalleryIngestProgress>(p =>
                console.WriteLine($"  store: {p.Read:N0} of {gallery.Ids.Count:N0} read, {p.Inserted:N0} added, {p.Skipped:N0} already there"));
            var done = store.IngestGalleryFolderAsync(model, modelPath, gallery, options.CacheFolder, new ConsoleProgress(console), progress, cancellationToken)
                .GetAwaiter().GetResult();
            if (done is not null)
                console.WriteLine($"  store: collection '{collection}' now holds the gallery ({done.Inserted:N0} added in {done.Elapsed.TotalSeconds:N1} s, index built).");
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
