using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.ComposedRetrieval.Benchmarks.Harness;

/// <summary>
/// Inference through the package's public API with a saved model (<c>--model</c>), on the catalogue's real JPEGs:
/// (b) one composed query end to end through <see cref="GallerySearchEngine.Search(string, string, int, string?)"/>,
/// with the image encoder in oneDNN's layout and dense (<see cref="NativeFastPaths.UseOneDnnLayout"/>); (c) gallery
/// indexing through <c>mlContext.Transforms.EmbedGalleryImages</c>. The stage-by-stage split and the folded vs
/// unfolded ResNet comparison measured internal pieces and are no longer run (benchmarks/README.md).
/// </summary>
internal static class QuerySection
{
    private const int K = 50;
    private const int WarmupQueries = 3;

    /// <summary>
    /// Single-query latency: decode, preprocess, tokenise, encoders, compositor and head, then exact top-50 over a
    /// gallery of every catalogue image (35,332 rows of random unit embeddings: the values do not change the time), the
    /// reference excluded; once with oneDNN's layout allowed and once dense, each after loading the model afresh (the
    /// switch is read when a model is built for inference).
    /// </summary>
    public static string RunLatency(string datasetRoot, string modelPath, int queryCount, GalleryPrecision precision)
    {
        var images = Path.Combine(datasetRoot, "images");
        var queries = ValidationQueries(datasetRoot).Take(queryCount + WarmupQueries).ToList();
        var table = new MarkdownTable("image encoder", "gallery", "p50 (ms)", "p95 (ms)", "first query (ms)", "RSS (MB)", "peak extra (MB)");
        var switchBefore = NativeFastPaths.UseOneDnnLayout;
        try
        {
            foreach (var oneDnn in new[] { true, false })
            {
                NativeFastPaths.UseOneDnnLayout = oneDnn;
                using var model = ComposeImageTextTransformer.Load(new MLContext(seed: 1), modelPath);
                using var store = RandomCatalogueGallery(images, model.EmbeddingDimension, precision, model.ModelChecksum);
                using var engine = model.CreateSearchEngine(store);
                PeakMemory.Reset();
                var before = PeakMemory.CurrentBytes;
                var times = new List<double>();
                var first = 0.0;
                for (var q = 0; q < queries.Count; q++)
                {
                    var (reference, text) = (queries[q][0], queries[q][1]);
                    var clock = Stopwatch.StartNew();
                    engine.Search(Path.Combine(images, reference), text, K, excludedImageId: reference);
                    var seconds = clock.Elapsed.TotalSeconds;
                    if (q == 0) first = seconds;
                    if (q >= WarmupQueries) times.Add(seconds); // the first calls pay for oneDNN primitive creation and JIT
                }
                var timing = Timing.FromSamples(times);
                table.Add(model.ImageEncoderExecution, $"{store.Count:N0} ({precision})", timing.Median * 1e3, timing.P95 * 1e3, first * 1e3,
                    MarkdownTable.Megabytes(before), MarkdownTable.Megabytes(PeakMemory.PeakBytes - before));
            }
        }
        finally
        {
            NativeFastPaths.UseOneDnnLayout = switchBefore;
        }
        return table + Environment.NewLine +
               $"{queryCount} queries from queries.val.tsv after {WarmupQueries} warm-up ones, model {Path.GetFileName(modelPath)}, " +
               $"top {K} through GallerySearchEngine.Search(path, text, k, excludedImageId)." + Environment.NewLine;
    }

    /// <summary>A gallery of every catalogue image id with random unit embeddings (the values do not change the time).</summary>
    private static InMemoryGalleryStore RandomCatalogueGallery(string images, int dimension, GalleryPrecision precision, string modelChecksum)
    {
        var galleryIds = Directory.EnumerateFiles(images, "*.jpg").Select(id => Path.GetFileName(id)).Order(StringComparer.Ordinal).ToArray();
        var random = new Random(3);
        var values = new float[galleryIds.Length * dimension];
        for (var row = 0; row < galleryIds.Length; row++)
        {
            var span = values.AsSpan(row * dimension, dimension);
            var sum = 0.0;
            for (var i = 0; i < dimension; i++) sum += (span[i] = (float)(random.NextDouble() - 0.5)) * span[i];
            var norm = (float)Math.Sqrt(sum);
            for (var i = 0; i < dimension; i++) span[i] /= norm;
        }
        return new InMemoryGalleryStore(galleryIds, values, dimension, precision, modelChecksum);
    }

    private static IEnumerable<string[]> ValidationQueries(string datasetRoot) =>
        File.ReadLines(Path.Combine(datasetRoot, "queries.val.tsv")).Skip(1).Select(l => l.Split('\t'));

    /// <summary>
    /// Gallery indexing: <c>EmbedGalleryImages</c> over <paramref name="imageCount"/> real JPEGs (decode, preprocess,
    /// image encoder, head, in the model's batches), the embeddings read out; images/s after a one-batch warm-up.
    /// </summary>
    public static string RunIndexing(string datasetRoot, string modelPath, int imageCount)
    {
        var ml = new MLContext(seed: 1);
        using var model = ComposeImageTextTransformer.Load(ml, modelPath);
        var images = Path.Combine(datasetRoot, "images");
        var rows = Directory.EnumerateFiles(images, "*.jpg").Select(Path.GetFileName).Order(StringComparer.Ordinal)
            .Take(imageCount).Select(id => new GalleryImage { ImageId = id!, Image = Path.Combine(images, id!) }).ToArray();
        float[][] Embed(IEnumerable<GalleryImage> gallery)
        {
            var view = ml.Data.LoadFromEnumerable(gallery);
            return ml.Transforms.EmbedGalleryImages(model).Fit(view).Transform(view).GetColumn<float[]>("ImageEmbedding").ToArray();
        }

        Embed(rows.Take(model.BatchSize));
        PeakMemory.Reset();
        var before = PeakMemory.CurrentBytes;
        var total = Timing.Of(() => Embed(rows), warmup: 0, repeats: 1);
        var peak = PeakMemory.PeakBytes - before;

        var table = new MarkdownTable("images", "batch", "image encoder", "total (s)", "images/s", "peak extra RSS (MB)");
        table.Add(rows.Length, model.BatchSize, model.ImageEncoderExecution, total.Min, rows.Length / total.Min, MarkdownTable.Megabytes(peak));
        return table.ToString();
    }

    private sealed class GalleryImage
    {
        public string ImageId { get; set; } = "";

        public string Image { get; set; } = "";
    }
}
