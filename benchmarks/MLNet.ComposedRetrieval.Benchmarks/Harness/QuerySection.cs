using System.Diagnostics;
using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Modeling;
using MLNet.ComposedRetrieval.Modeling.Inference;
using MLNet.ComposedRetrieval.Pretrained;
using MLNet.ComposedRetrieval.Retrieval;
using MLNet.ComposedRetrieval.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Benchmarks.Harness;

/// <summary>
/// Inference with the full network (ImageNet ResNet-18 + MiniLM + compositor + head; the upper layers untrained,
/// which changes no timing), eval mode and <c>torch.inference_mode</c>, on the catalogue's real JPEGs:
/// (b) one composed query end to end, stage by stage; (c) gallery indexing through the evaluator's path.
/// </summary>
internal static class QuerySection
{
    private const int K = 50;

    /// <summary>
    /// Single-query latency: decode the reference JPEG, preprocess, tokenise, ResNet-18, MiniLM, compositor + head, each
    /// through <see cref="ComposedRetrievalModel"/> (the inference path of the ML.NET transformer and search engine), then
    /// exact top-50 over a gallery of every catalogue image (35,332 x 512, random unit rows: the values do not change the
    /// time), the reference excluded.
    /// </summary>
    public static string RunLatency(string datasetRoot, int queryCount, GalleryPrecision precision)
    {
        // The library's own inference path (folded ResNet in oneDNN's layout, folded MiniLM and composer), stage by stage.
        using var model = new ComposedRetrievalModel(CreateNetwork(out _, out _), new ModelDescription(), CPU);
        var images = Path.Combine(datasetRoot, "images");
        using var index = RandomCatalogueGallery(images, model.EmbeddingDimension, precision);
        var queries = ValidationQueries(datasetRoot).Take(queryCount + 3).ToList();
        var firstQuerySeconds = 0.0;

        string[] stages = ["decode JPEG", "preprocess", "tokenise", "ResNet-18 (folded, oneDNN layout)", "MiniLM (folded)", "compositor + head (folded)", $"search 35k ({precision})", "end to end"];
        var times = stages.Select(_ => new List<double>()).ToArray();
        PeakMemory.Reset();
        var before = PeakMemory.CurrentBytes;
        for (var q = 0; q < queries.Count; q++)
        {
            var (reference, text) = (queries[q][0], queries[q][1]);
            var lap = new double[stages.Length];
            var total = Stopwatch.StartNew();
            var clock = Stopwatch.StartNew();
            double Lap() { var s = clock.Elapsed.TotalSeconds; clock.Restart(); return s; }
            using (var scope = NewDisposeScope())
            using (var inference = inference_mode())
            {
                var image = ImageDecoder.Decode(Path.Combine(images, reference));
                lap[0] = Lap();
                var pixels = ImageBatch.FromImages([model.Prepare(image)], model.Preprocessing);
                lap[1] = Lap();
                var (ids, mask) = TokenBatch.Encode(model.Tokenizer, [text], model.Description.MaxTextLength);
                lap[2] = Lap();
                var map = model.EncodeImages(pixels);
                lap[3] = Lap();
                var sentence = model.EncodeText(ids, mask);
                lap[4] = Lap();
                var query = model.Compose(map, sentence);
                lap[5] = Lap();
                index.Search(query, K, [reference]);
                lap[6] = Lap();
            }
            lap[7] = total.Elapsed.TotalSeconds;
            if (q == 0) firstQuerySeconds = lap[7];
            if (q < 3) continue; // warm-up: first calls pay for oneDNN primitive creation and JIT
            for (var s = 0; s < stages.Length; s++) times[s].Add(lap[s]);
        }

        var table = new MarkdownTable("stage", "p50 (ms)", "p95 (ms)", "share of p50 end to end");
        var endToEnd = Timing.FromSamples(times[^1]).Median;
        for (var s = 0; s < stages.Length; s++)
        {
            var timing = Timing.FromSamples(times[s]);
            table.Add(stages[s], timing.Median * 1e3, timing.P95 * 1e3, $"{100 * timing.Median / endToEnd:F0}%");
        }
        return table + Environment.NewLine +
               $"Image backbone: {model.ImageBackboneExecution}. {times[^1].Count} queries from queries.val.tsv after 3 warm-up ones (the first query of the process took " +
               $"{firstQuerySeconds * 1e3:F0} ms end to end); process RSS {MarkdownTable.Megabytes(before)} MB " +
               $"(models + gallery), peak extra during the queries {MarkdownTable.Megabytes(PeakMemory.PeakBytes - before)} MB." + Environment.NewLine;
    }

    /// <summary>
    /// The single-query stages run in several ways (batch norm folded or not, 1 or the default number of threads,
    /// channels-last input, MiniLM padded or not, MiniLM and compositor + head folded or not, the text encoder concurrent
    /// with the image encoder), round-robin
    /// on the same queries: see <see cref="LatencyVariants"/>.
    /// </summary>
    public static string RunLatencyVariants(string datasetRoot, int rounds)
    {
        using var network = CreateNetwork(out var backbone, out var encoder);
        var images = Path.Combine(datasetRoot, "images");
        var indexes = Enum.GetValues<GalleryPrecision>().Select(p => RandomCatalogueGallery(images, network.Options.EmbeddingDimension, p)).ToList();
        try
        {
            var queries = ValidationQueries(datasetRoot).Take(rounds).Select(q => (Path.Combine(images, q[0]), q[0], q[1])).ToList();
            return LatencyVariants.Run(network, backbone, encoder, indexes, queries, rounds, K);
        }
        finally
        {
            indexes.ForEach(index => index.Dispose());
        }
    }

    /// <summary>A gallery of every catalogue image id with random unit embeddings (the values do not change the time).</summary>
    private static GalleryIndex RandomCatalogueGallery(string images, int dimension, GalleryPrecision precision)
    {
        var galleryIds = Directory.EnumerateFiles(images, "*.jpg").Select(id => Path.GetFileName(id)).Order(StringComparer.Ordinal).ToArray();
        using var generator = new Generator(3);
        using var scope = NewDisposeScope();
        var rows = randn(galleryIds.Length, dimension, generator: generator);
        return new GalleryIndex(galleryIds, rows.div_(rows.norm(1, keepdim: true)), precision: precision);
    }

    private static IEnumerable<string[]> ValidationQueries(string datasetRoot) =>
        File.ReadLines(Path.Combine(datasetRoot, "queries.val.tsv")).Skip(1).Select(l => l.Split('\t'));

    /// <summary>
    /// Gallery indexing: <see cref="RetrievalEvaluator.BuildGallery"/> over real JPEGs (decode, preprocess,
    /// ResNet-18, head, index) in batches of <paramref name="batchSize"/>; images/s, and the decode + preprocess share;
    /// then the ResNet-18 forward on <paramref name="foldingBatch"/> images with batch norm unfolded and folded.
    /// </summary>
    public static string RunIndexing(string datasetRoot, int imageCount, int batchSize, int foldingBatch)
    {
        using var network = CreateNetwork(out var backbone, out var encoder);
        var images = Path.Combine(datasetRoot, "images");
        var ids = Directory.EnumerateFiles(images, "*.jpg").Select(Path.GetFileName).Order(StringComparer.Ordinal)
            .Take(imageCount).Select(id => id!).ToArray();
        var inputs = new PixelCompositionInputs(id => ImageDecoder.Decode(Path.Combine(images, id)), backbone.Preprocessing, encoder.Tokenizer);
        var evaluator = new RetrievalEvaluator(ids, [new CompositionQuery(ids[0], "unused", ids[0])], [K], batchSize);

        // Warm-up on one batch, then the whole set once.
        using (var warm = new RetrievalEvaluator(ids.Take(batchSize).ToArray(), [new CompositionQuery(ids[0], "unused", ids[0])], [K], batchSize)
                   .BuildGallery(network, inputs, CPU)) { }
        PeakMemory.Reset();
        var before = PeakMemory.CurrentBytes;
        var total = Timing.Of(() => evaluator.BuildGallery(network, inputs, CPU).Dispose(), warmup: 0, repeats: 1);
        var peak = PeakMemory.PeakBytes - before;
        var data = Timing.Of(() => inputs.Images(ids.Take(batchSize).ToList(), augment: false).Dispose(), warmup: 1, repeats: 3);

        var table = new MarkdownTable("images", "batch", "total (s)", "images/s", "decode + preprocess per batch (ms)", "decode + preprocess share", "peak extra RSS (MB)");
        var batches = Math.Ceiling(ids.Length / (double)batchSize);
        table.Add(ids.Length, batchSize, total.Min, ids.Length / total.Min, data.Median * 1e3,
            $"{100 * data.Median * batches / total.Min:F0}%", MarkdownTable.Megabytes(peak));
        return table + Environment.NewLine + CompareFolding(backbone, inputs, ids.Take(foldingBatch).ToList());
    }

    /// <summary>ResNet-18 on one batch of real images, batch norm unfolded (validation, feature cache), folded, and
    /// folded in oneDNN's layout (<see cref="FoldedResNet.TryUseOneDnn"/>), round-robin; with the largest difference
    /// of the oneDNN map from the dense folded one, relative to the map's largest value.</summary>
    private static string CompareFolding(ImageBackbone backbone, PixelCompositionInputs inputs, IReadOnlyList<string> ids)
    {
        using var folded = ((ResNetBackbone)backbone).ToInference();
        using var oneDnn = ((ResNetBackbone)backbone).ToInference();
        var oneDnnNote = oneDnn.TryUseOneDnn(out var unavailable) ? "" : $" The oneDNN row ran dense: {unavailable}.";
        using var batch = inputs.Images(ids, augment: false);
        using var inference = inference_mode();
        void Run(Func<Tensor, Tensor> encode) { using var scope = NewDisposeScope(); encode(batch.Values); }
        var times = Timing.Interleaved(warmup: 1, repeats: 4, () => Run(backbone.forward), () => Run(folded.forward), () => Run(oneDnn.forward));
        double difference;
        using (var scope = NewDisposeScope())
        {
            var (dense, layered) = (folded.forward(batch.Values), oneDnn.forward(batch.Values));
            difference = dense.sub(layered).abs().max().item<float>() / dense.abs().max().item<float>();
        }
        var table = new MarkdownTable("ResNet-18 forward", "batch", "median (s)", "min (s)", "images/s (median)");
        table.Add("batch norm unfolded", ids.Count, times[0].Median, times[0].Min, ids.Count / times[0].Median);
        table.Add("batch norm folded", ids.Count, times[1].Median, times[1].Min, ids.Count / times[1].Median);
        table.Add("folded, oneDNN layout", ids.Count, times[2].Median, times[2].Min, ids.Count / times[2].Median);
        return table + Environment.NewLine +
               $"Folded / unfolded (median): {times[1].Median / times[0].Median:F2}; oneDNN / folded: {times[2].Median / times[1].Median:F2}; " +
               $"1 warm-up and 4 timed runs each, round-robin. oneDNN map vs folded map: largest difference {difference:E1} of the largest value." +
               oneDnnNote + Environment.NewLine;
    }

    private static ComposedRetrievalNetwork CreateNetwork(out ImageBackbone backbone, out TextEncoder encoder)
    {
        manual_seed(1);
        backbone = PretrainedResNet18.Create();
        encoder = MiniLm.Create();
        var network = new ComposedRetrievalNetwork(backbone, encoder);
        network.eval();
        return network;
    }
}
