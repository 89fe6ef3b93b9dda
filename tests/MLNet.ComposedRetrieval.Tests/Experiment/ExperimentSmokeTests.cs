using Microsoft.ML;
using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Experiment;
using MLNet.ComposedRetrieval.Reporting;
using MLNet.ComposedRetrieval.Tests.Infrastructure;
using SkiaSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Experiment;

/// <summary>
/// The main job end to end on real images, kept small: a few hundred triplets, one epoch, both methods, a cut
/// gallery. Checks the files and fields it writes, not the figures.
/// </summary>
public sealed class ExperimentSmokeTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "experiment-smoke-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    [SkippableFact]
    public void ASmallRunWritesTheResultsChartsGridAndModels()
    {
        var data = SharedData.Require("datasets/fashion-product-images");
        var options = ExperimentOptions.Parse([
            "--data", data, "--output", Path.Combine(_folder, "out"), "--cache", Path.Combine(_folder, "cache"),
            "--max-train-triplets", "256", "--max-queries", "40", "--max-gallery", "160",
            "--epochs", "1", "--triplets-per-epoch", "0", "--seeds", "1", "--grid-queries", "3",
        ]);
        var console = new StringWriter();

        var outcome = new ExperimentRunner(options, console).Run(CancellationToken.None);
        var written = ExperimentReports.Write(options, outcome, console);
        output.WriteLine(console.ToString());

        var report = ExperimentReportJson.Load(Path.Combine(options.Output, "results.json"));
        Assert.Equal([MethodNames.ZeroShot, MethodNames.Baseline, MethodNames.Uncertainty], report.Methods);
        Assert.All(report.Runs, run =>
        {
            Assert.Equal(40, run.QueryCount);
            Assert.Equal([1, 10, 50], run.Recall.Keys.Order());
            Assert.All(run.Recall.Values, r => Assert.InRange(r, 0, 100));
        });
        var uncertainty = report.Runs.Single(r => r.Method == MethodNames.Uncertainty);
        Assert.NotNull(Assert.Single(uncertainty.History).Sigma);
        Assert.Equal(0, uncertainty.BestEpoch);
        Assert.True(File.Exists(uncertainty.ModelPath));
        Assert.Equal(written.Runs.Count, report.Runs.Count);

        Assert.Contains("| " + MethodNames.Baseline, File.ReadAllText(Path.Combine(options.Output, "results.md")));
        foreach (var png in new[] { "loss.png", "val-recall.png", "uncertainty.png", "queries.png" })
        {
            using var bitmap = SKBitmap.Decode(Path.Combine(options.Output, png));
            Assert.True(bitmap is { Width: > 100, Height: > 100 }, $"{png} is not a readable image");
        }
        Assert.True(File.Exists(Path.Combine(options.Output, "checkpoints", "uncertainty-seed1", "checkpoint.json")));

        AssertSavedModelMatchesTheTrainedNetwork(outcome, outcome.Runs.Single(r => r.Method == "uncertainty"));
    }

    /// <summary>
    /// The saved .mlcr is the ML.NET component's model: it loads, and its full path (pixels and tokens through ResNet-18
    /// and MiniLM) embeds a few queries and targets like the trained network on the cached features (half precision,
    /// hence the tolerance).
    /// </summary>
    private static void AssertSavedModelMatchesTheTrainedNetwork(ExperimentOutcome outcome, RunOutcome run)
    {
        Assert.Equal(".mlcr", Path.GetExtension(run.ModelPath));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(run.ModelPath)!, "*.bin"));
        using var loaded = ComposeImageTextTransformer.Load(new MLContext(seed: 0), run.ModelPath);
        Assert.Equal((ImageEncoderArchitecture.ResNet18, TextEncoderArchitecture.MiniLM), (loaded.ImageEncoder, loaded.TextEncoder));
        Assert.Single(loaded.TrainingHistory);

        var queries = outcome.Dataset.EvalQueries.Take(3).ToList();
        var references = queries.Select(q => q.ReferenceImageId).ToList();
        var texts = queries.Select(q => q.ModificationText).ToList();
        var targets = queries.Select(q => q.TargetImageIds[0]).ToList();
        int d = loaded.EmbeddingDimension;
        var composed = new float[queries.Count * d];
        var embedded = new float[queries.Count * d];
        RgbImage Load(string id) => loaded.Model.Prepare(ImageDecoder.Decode(outcome.Dataset.ResolveImage(id)));
        loaded.Model.ComposeQueries(references.Select(Load).ToList(), texts, composed);
        loaded.Model.EmbedImages(targets.Select(Load).ToList(), embedded);

        float[] expectedQueries, expectedTargets;
        run.Network.eval();
        using (var mode = inference_mode())
        using (var scope = NewDisposeScope())
        {
            using var referenceInputs = outcome.Inputs.Images(references, augment: false);
            using var textInputs = outcome.Inputs.Texts(texts);
            using var targetInputs = outcome.Inputs.Images(targets, augment: false);
            expectedQueries = run.Network.ComposeQueries(referenceInputs, textInputs).data<float>().ToArray();
            expectedTargets = run.Network.EmbedTargets(targetInputs).data<float>().ToArray();
        }
        AssertRowsClose(expectedQueries, composed, d);
        AssertRowsClose(expectedTargets, embedded, d);
    }

    private static void AssertRowsClose(float[] expected, float[] actual, int d)
    {
        for (int row = 0; row < expected.Length / d; row++)
        {
            var e = expected.AsSpan(row * d, d);
            var a = actual.AsSpan(row * d, d);
            double difference = 0, norm = 0;
            for (int i = 0; i < d; i++)
            {
                difference += (a[i] - e[i]) * (double)(a[i] - e[i]);
                norm += e[i] * (double)e[i];
            }
            Assert.InRange(Math.Sqrt(difference / norm), 0, 1e-2);
        }
    }
}
