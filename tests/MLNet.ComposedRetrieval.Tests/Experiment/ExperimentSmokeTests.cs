using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.ComposedRetrieval.Experiment;
using MLNet.ComposedRetrieval.Reporting;
using MLNet.ComposedRetrieval.Tests.Infrastructure;
using SkiaSharp;
using Xunit.Abstractions;

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

        using var outcome = new ExperimentRunner(options, console).Run(CancellationToken.None);
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

        var markdown = File.ReadAllText(Path.Combine(options.Output, "results.md"));
        Assert.Contains("| " + MethodNames.Baseline, markdown);
        Assert.Contains($"Recall@K in percent on val, reference excluded (40 queries, gallery of {report.Runs[0].GallerySize} images);", markdown);
        foreach (var png in new[] { "loss.png", "val-recall.png", "uncertainty.png", "queries.png" })
        {
            using var bitmap = SKBitmap.Decode(Path.Combine(options.Output, png));
            Assert.True(bitmap is { Width: > 100, Height: > 100 }, $"{png} is not a readable image");
        }
        Assert.True(File.Exists(Path.Combine(options.Output, "checkpoints", "uncertainty-seed1", "checkpoint.json")));

        AssertSavedModelIsTheFittedOne(outcome, outcome.Runs.Single(r => r.Method == "uncertainty"));
    }

    /// <summary>
    /// The saved .mlcr is the fitted ML.NET transformer: it loads, and embeds a few val queries like the transformer the
    /// run fitted (whose full path matching the network trained on cached features is the estimator's own test).
    /// </summary>
    private static void AssertSavedModelIsTheFittedOne(ExperimentOutcome outcome, RunOutcome run)
    {
        Assert.Equal(".mlcr", Path.GetExtension(run.ModelPath));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(run.ModelPath)!, "*.bin"));
        var mlContext = new MLContext(seed: 0);
        using var loaded = mlContext.Model.LoadComposeImageText(run.ModelPath);
        Assert.Equal((ImageEncoderArchitecture.ResNet18, TextEncoderArchitecture.MiniLM), (loaded.ImageEncoder, loaded.TextEncoder));
        Assert.Single(loaded.TrainingHistory);
        Assert.Null(loaded.Training);
        Assert.Equal(0, run.Model.Training!.BestEpoch);

        var rows = mlContext.Data.TakeRows(outcome.Data.Views.Queries, 3);
        float[] Embed(ComposeImageTextTransformer model) =>
            model.Transform(rows).GetColumn<float[]>(model.OutputColumnName).SelectMany(v => v).ToArray();
        var expected = Embed(run.Model);
        Assert.Equal(3 * loaded.EmbeddingDimension, expected.Length);
        AssertRowsClose(expected, Embed(loaded), loaded.EmbeddingDimension);
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
