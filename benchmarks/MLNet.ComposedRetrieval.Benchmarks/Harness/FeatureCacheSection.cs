using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Pretrained;
using MLNet.ComposedRetrieval.Training;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Benchmarks.Harness;

/// <summary>
/// Filling the frozen-feature cache (decode, preprocess, ResNet-18 layer4 maps, half-precision write), as the main job
/// does before training: the module as trained against the inference snapshot (batch norm folded, oneDNN's layout
/// where the host allows) at several batch sizes, round-robin, each into an empty cache.
/// </summary>
internal static class FeatureCacheSection
{
    public static string Run(string datasetRoot, int imageCount, int[] batchSizes, int rounds)
    {
        manual_seed(1);
        using var backbone = PretrainedResNet18.Create();
        backbone.Freeze();
        var images = Path.Combine(datasetRoot, "images");
        var ids = File.ReadLines(Path.Combine(datasetRoot, "split.train.tsv")).Skip(1).Take(imageCount).ToList();
        RgbImage Load(string id) => ImageDecoder.Decode(Path.Combine(images, id + ".jpg"));

        var variants = new List<(string Path, bool Inference, int Batch)> { ("as trained (before)", false, FrozenEncoderFeatures.DefaultImageBatchSize) };
        variants.AddRange(batchSizes.Select(b => ("inference snapshot", true, b)));
        var rates = variants.Select(_ => new List<double>()).ToArray();
        string? path = null;
        for (int round = 0; round <= rounds; round++) // round 0 warms up
        {
            for (int v = 0; v < variants.Count; v++)
            {
                var folder = Directory.CreateTempSubdirectory("feature-cache-bench-").FullName;
                try
                {
                    var clock = System.Diagnostics.Stopwatch.StartNew();
                    FrozenEncoderFeatures.CacheImageMaps(backbone, round == 0 ? ids.Take(variants[v].Batch) : ids, Load, folder,
                        batchSize: variants[v].Batch, inferencePath: variants[v].Inference,
                        log: line => path ??= variants[v].Inference ? line : null);
                    if (round > 0) rates[v].Add(ids.Count / clock.Elapsed.TotalSeconds);
                }
                finally
                {
                    Directory.Delete(folder, recursive: true);
                }
            }
        }
        var table = new MarkdownTable("path", "batch", "images/s (median)", "images/s (best)", "vs before (median)");
        var before = Median(rates[0]);
        for (int v = 0; v < variants.Count; v++)
            table.Add(variants[v].Path, variants[v].Batch, Median(rates[v]), rates[v].Max(), Median(rates[v]) / before);
        return table + Environment.NewLine +
               $"{ids.Count} train images (60x80 JPEGs resized to 224x224), {rounds} timed rounds after a warm-up, variants round-robin. " +
               $"Snapshot: {path}" + Environment.NewLine;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
