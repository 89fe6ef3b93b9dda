using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Modeling;
using MLNet.ComposedRetrieval.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Benchmarks.Harness;

/// <summary>
/// Training throughput (deliverable a). Frozen-backbone mode: <see cref="ComposedRetrievalTrainer"/> over
/// <see cref="CachedCompositionInputs"/> whose feature caches hold random ResNet-18-sized maps (512 x 7 x 7) and
/// sentence features (384-d as MiniLM's, or 512-d), against <see cref="BareTrainingStep"/> on the same network,
/// rounds interleaved. Fine-tune mode: ResNet-18 and MiniLM trained end to end on real catalogue JPEGs.
/// </summary>
internal static class TrainingSection
{
    private const int Channels = 512;
    private const int MapSize = 7;

    public static string RunFrozen(IReadOnlyList<int> batchSizes, IReadOnlyList<int> textDimensions, int steps, int rounds)
    {
        var table = new MarkdownTable("batch", "text dim", "library step p50 (ms)", "library triplets/s", "bare step p50 (ms)",
            "bare triplets/s", "library / bare (median of pairs)", "same loss (abs. difference)", "peak extra RSS (MB)");
        foreach (var textDimension in textDimensions)
            foreach (var batch in batchSizes)
                RunFrozenCase(table, batch, textDimension, steps, rounds);
        return table.ToString();
    }

    private static void RunFrozenCase(MarkdownTable table, int batch, int textDimension, int steps, int rounds)
    {
        var root = Path.Combine(Path.GetTempPath(), "mlnet-cr-bench-" + Guid.NewGuid().ToString("N"));
        PeakMemory.Reset();
        var before = PeakMemory.CurrentBytes;
        try
        {
            manual_seed(1);
            var random = new Random(1);
            var imageIds = Enumerable.Range(0, 4 * batch).Select(i => $"image{i}").ToArray();
            var texts = Enumerable.Range(0, 2 * batch).Select(i => $"text {i}").ToArray();
            var imageCache = FeatureCache.Open(Path.Combine(root, "images"), "bench", [Channels, MapSize, MapSize]);
            imageCache.Fill(imageIds, ids => randn(ids.Count, Channels, MapSize, MapSize).relu_(), batchSize: 256);
            var textCache = FeatureCache.Open(Path.Combine(root, "texts"), "bench", [textDimension]);
            textCache.Fill(texts, ids => randn(ids.Count, textDimension), batchSize: 256);
            var inputs = new CachedCompositionInputs(imageCache, textCache);
            var triplets = Enumerable.Range(0, batch * steps)
                .Select(_ => new CompositionTriplet(imageIds[random.Next(imageIds.Length)], texts[random.Next(texts.Length)], imageIds[random.Next(imageIds.Length)]))
                .ToList();

            using var network = new ComposedRetrievalNetwork(Channels, textDimension);
            using var bare = new BareTrainingStep(network, learningRate: 1e-3);
            // The bare step reads float32 tensors already in memory, the ideal data path.
            using var imagePool = imageCache.Load(imageIds);
            using var textPool = textCache.Load(texts);
            using var noise = new Generator(7);
            var sameLoss = CompareLosses(network, bare, imagePool, textPool);

            // Library and bare steps alternate: after each library step the trainer reports progress, and the
            // report runs one bare step, so a burst of load from other jobs hits both alike.
            var clock = new StepClock(() =>
            {
                using var scope = NewDisposeScope();
                var refs = imagePool.index_select(0, RandomIndex(random, batch, imageIds.Length));
                var targets = imagePool.index_select(0, RandomIndex(random, batch, imageIds.Length));
                var text = textPool.index_select(0, RandomIndex(random, batch, texts.Length));
                bare.Step(refs, targets, text, noise, gamma: 1.0);
            });
            for (var round = 0; round < rounds; round++)
            {
                var options = new TrainerOptions { Epochs = 1, BatchSize = batch, TripletsPerEpoch = batch * steps, LearningRate = 1e-3, WarmupEpochs = 1, Seed = round };
                new ComposedRetrievalTrainer(network, options) { Progress = clock }.Fit(triplets, inputs);
            }
            // Each round's first pair also holds the epoch's set-up and first-call costs.
            var pairs = clock.Pairs.Where(p => p.Step > 1).ToList();
            var (lib, bar) = (Timing.FromSamples(pairs.Select(p => p.Library)), Timing.FromSamples(pairs.Select(p => p.Bare)));
            var ratio = Timing.FromSamples(pairs.Select(p => p.Library / p.Bare));
            table.Add(batch, textDimension, lib.Median * 1e3, batch / lib.Median, bar.Median * 1e3, batch / bar.Median,
                ratio.Median, sameLoss, MarkdownTable.Megabytes(PeakMemory.PeakBytes - before));
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>The library's loss and the bare one on the same batch with the same noise draws: they must agree.</summary>
    private static string CompareLosses(ComposedRetrievalNetwork network, BareTrainingStep bare, Tensor imagePool, Tensor textPool)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        network.train();
        var batch = Math.Min(16, (int)textPool.shape[0]);
        var refs = imagePool.narrow(0, 0, batch);
        var targets = imagePool.narrow(0, batch, batch);
        var text = textPool.narrow(0, 0, batch);
        using var noise = new TorchNoiseSource(5);
        var library = new ComposedRetrievalLoss(new LossOptions(), noise)
            .Compute(network.ComposeFromFeatures(refs, text), network.EmbedTargetMaps(targets), epoch: 0, totalEpochs: 2);
        using var generator = new Generator(5);
        var plain = bare.Loss(refs, targets, text, generator, gamma: library.Gamma);
        var difference = Math.Abs(library.Total.item<float>() - plain.item<float>());
        return $"{(difference < 1e-4 ? "yes" : "NO")} ({difference:G2})";
    }

    private static Tensor RandomIndex(Random random, int count, int bound) =>
        tensor(Enumerable.Range(0, count).Select(_ => (long)random.Next(bound)).ToArray());

    /// <summary>Fine-tune mode: ResNet-18 and MiniLM inside the step, real JPEGs decoded and augmented each step.</summary>
    public static string RunFineTune(string datasetRoot, IReadOnlyList<int> batchSizes, int steps)
    {
        var table = new MarkdownTable("batch", "step p50 (ms)", "triplets/s", "of which decode + preprocess (ms)", "peak extra RSS (MB)");
        var triplets = File.ReadLines(Path.Combine(datasetRoot, "triplets.train.tsv")).Skip(1)
            .Select(line => line.Split('\t')).Select(f => new CompositionTriplet(f[0], f[1], f[2])).ToList();
        var images = Path.Combine(datasetRoot, "images");
        foreach (var batch in batchSizes)
        {
            PeakMemory.Reset();
            var before = PeakMemory.CurrentBytes;
            manual_seed(1);
            var backbone = Pretrained.PretrainedResNet18.Create();
            var encoder = Pretrained.MiniLm.Create();
            using var network = new ComposedRetrievalNetwork(backbone, encoder);
            var inputs = new PixelCompositionInputs(id => ImageDecoder.Decode(Path.Combine(images, id)), backbone.Preprocessing,
                encoder.Tokenizer, augmentation: new TrainingImageAugmentation(seed: 1));
            var sample = triplets.Take(batch * steps).ToList();

            var clock = new StepClock(pairedStep: null);
            var options = new TrainerOptions { Epochs = 1, BatchSize = batch, TripletsPerEpoch = sample.Count, LearningRate = 1e-3, WarmupEpochs = 1 };
            new ComposedRetrievalTrainer(network, options) { Progress = clock }.Fit(sample, inputs);
            var step = Timing.FromSamples(clock.Pairs.Skip(1).Select(p => p.Library));

            // The data share: decoding and preparing the batch's 2 x B images and tokenising its texts.
            var data = Timing.Of(() =>
            {
                using var references = inputs.Images(sample.Take(batch).Select(t => t.ReferenceImageId).ToList(), augment: true);
                using var targets = inputs.Images(sample.Take(batch).Select(t => t.TargetImageId).ToList(), augment: true);
                using var tokens = inputs.Texts(sample.Take(batch).Select(t => t.ModificationText).ToList());
            }, warmup: 1, repeats: 3);
            table.Add(batch, step.Median * 1e3, batch / step.Median, data.Median * 1e3, MarkdownTable.Megabytes(PeakMemory.PeakBytes - before));
        }
        return table.ToString();
    }

    /// <summary>
    /// Step durations from the trainer's per-step progress reports (made synchronously, after each step), each
    /// followed by one run of <c>pairedStep</c>, timed on its own and left out of the next library step's time.
    /// </summary>
    private sealed class StepClock(Action? pairedStep) : IProgress<WorkProgress>
    {
        private TimeSpan _last;
        private double _pairedSeconds;

        public List<(long Step, double Library, double Bare)> Pairs { get; } = [];

        public void Report(WorkProgress value)
        {
            if (value.Done == 1) (_last, _pairedSeconds) = (TimeSpan.Zero, 0);
            var library = (value.Elapsed - _last).TotalSeconds - _pairedSeconds;
            var started = System.Diagnostics.Stopwatch.StartNew();
            pairedStep?.Invoke();
            _pairedSeconds = started.Elapsed.TotalSeconds;
            Pairs.Add((value.Done, library, _pairedSeconds));
            _last = value.Elapsed;
        }
    }
}
