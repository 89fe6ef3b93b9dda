using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Training;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// The gallery embeddings of a saved model, kept on disk in float32 (a <see cref="FeatureCache"/>) so a second
/// search engine, <c>evaluate</c> or <c>query</c> with the same model does not embed the gallery again. The cache is keyed on the model
/// file's content (the SHA-256 every model file ends with); each entry on an image file's full path, size and
/// modification time, so a changed or added image is embedded anew and any subset of a cached gallery (another split)
/// is served from the cache.
/// </summary>
internal static class GalleryEmbeddings
{
    private const string Stage = "gallery embeddings";

    /// <summary>The embeddings [N, D] of <paramref name="gallery"/>'s images, in its id order, computing only those not cached.</summary>
    /// <param name="model">The loaded model.</param>
    /// <param name="modelPath">Its file (its checksum keys the cache).</param>
    /// <param name="gallery">The gallery.</param>
    /// <param name="cacheRoot">The cache folder (entries go under <c>gallery-embeddings/</c>).</param>
    /// <param name="batchSize">Images per network call.</param>
    /// <param name="progress">Progress with an ETA while embedding; its first report says how many images are cached.</param>
    /// <param name="computed">How many images were embedded now (0 when every one was cached).</param>
    /// <param name="cancellationToken">Stops between batches; finished chunks stay cached.</param>
    public static Tensor Load(ComposeImageTextTransformer model, string modelPath, GalleryFolder gallery, string cacheRoot, int batchSize,
        IProgress<WorkProgress>? progress, out int computed, CancellationToken cancellationToken = default)
    {
        int dimension = model.EmbeddingDimension;
        var key = $"gallery-embeddings;model-sha256={ModelFile.ReadChecksum(modelPath)};dimension={dimension}";
        var cache = FeatureCache.Open(Path.Combine(cacheRoot, "gallery-embeddings"), key, [dimension], FeaturePrecision.Single);
        var entries = new List<string>(gallery.Ids.Count);
        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var id in gallery.Ids)
        {
            var file = new FileInfo(gallery.PathOf(id));
            var entry = $"{file.FullName}|{file.Length}|{file.LastWriteTimeUtc.Ticks}";
            entries.Add(entry);
            paths[entry] = file.FullName;
        }
        computed = cache.Missing(entries).Count;
        progress?.Report(new WorkProgress(Stage, entries.Count - computed, entries.Count, TimeSpan.Zero,
            $"{computed} of {entries.Count} to compute (cache {cache.Folder})"));
        var inference = model.Model;
        cache.Fill(entries, batch =>
        {
            var images = batch.Select(entry => inference.Prepare(ImageDecoder.Decode(paths[entry]))).ToList();
            var values = new float[images.Count * dimension];
            inference.EmbedImages(images, values);
            return tensor(values, [images.Count, dimension]);
        }, batchSize, progress, Stage, cancellationToken: cancellationToken);
        return cache.Load(entries);
    }
}
