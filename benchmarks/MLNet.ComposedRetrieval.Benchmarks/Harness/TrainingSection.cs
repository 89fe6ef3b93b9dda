using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.ComposedRetrieval.Benchmarks.Harness;

/// <summary>
/// (a) Training throughput through the public estimator, <c>ComposeImageText(...).Fit</c>, on the catalogue's first
/// triplets (triplets.train.tsv, real JPEGs) with the default pretrained encoders, frozen: the first Fit also fills
/// an empty feature cache (decode, preprocess, ResNet-18 and MiniLM once per image and text), later Fits read it, so
/// they time the epochs alone, at each batch size. No validation set.
/// </summary>
internal static class TrainingSection
{
    public static string Run(string datasetRoot, int tripletCount, int epochs, IReadOnlyList<int> batchSizes)
    {
        var ml = new MLContext(seed: 1);
        var triplets = ml.Data.LoadFromEnumerable(File.ReadLines(Path.Combine(datasetRoot, "triplets.train.tsv")).Skip(1).Take(tripletCount)
            .Select(line => line.Split('\t')).Select(f => new TripletRow { ReferenceImage = f[0], ModificationText = f[1], TargetImage = f[2] }).ToList());
        var cache = Directory.CreateTempSubdirectory("mlnet-cr-harness-cache-").FullName;
        try
        {
            ComposeImageTextEstimator Estimator(int batchSize) => ml.Transforms.ComposeImageText(new ComposeImageTextEstimator.Options
            {
                ImageFolder = Path.Combine(datasetRoot, "images"),
                Epochs = epochs,
                BatchSize = batchSize,
                FeatureCacheFolder = cache,
                Seed = 1,
            });
            var table = new MarkdownTable("Fit", "triplets", "epochs", "batch", "time (s)", "triplets/s (epochs)", "peak extra RSS (MB)");
            foreach (var (batchSize, index) in batchSizes.Select((b, i) => (b, i)))
            {
                PeakMemory.Reset();
                var before = PeakMemory.CurrentBytes;
                var time = Timing.Of(() => Estimator(batchSize).Fit(triplets).Dispose(), warmup: 0, repeats: 1).Min;
                var name = index == 0 ? "first (fills the feature cache)" : "cache warm";
                table.Add(name, tripletCount, epochs, batchSize, time, index == 0 ? "-" : MarkdownTable.Format(tripletCount * (double)epochs / time),
                    MarkdownTable.Megabytes(PeakMemory.PeakBytes - before));
            }
            return table + Environment.NewLine + "Frozen pretrained ResNet-18 + MiniLM (the estimator's defaults), seed 1, through ComposeImageTextEstimator.Fit; " +
                   "each time includes building the network and loading the pretrained weights." + Environment.NewLine;
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    private sealed class TripletRow
    {
        public string ReferenceImage { get; set; } = "";

        public string ModificationText { get; set; } = "";

        public string TargetImage { get; set; } = "";
    }
}
