using System.Text.Json;
using System.Text.Json.Nodes;
using MLNet.ComposedRetrieval.Reporting;
using MLNet.ComposedRetrieval.Tests.Data;

namespace MLNet.ComposedRetrieval.Tests.Reporting;

public class ExperimentReportJsonTests
{
    [Fact]
    public void RoundTripsEveryFieldThroughAFile()
    {
        var report = ReportFixtures.Example();
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.FullPath, "sub", "results.json");

        ExperimentReportJson.Save(report, path);
        var loaded = ExperimentReportJson.Load(path);

        Assert.Equal(report.Title, loaded.Title);
        Assert.Equal(report.EvaluatedOn, loaded.EvaluatedOn);
        Assert.Equal(report.Settings.ToList(), loaded.Settings.ToList()); // same order too
        Assert.Equal(report.Runs.Count, loaded.Runs.Count);
        for (int i = 0; i < report.Runs.Count; i++)
        {
            MethodRun expected = report.Runs[i], actual = loaded.Runs[i];
            Assert.Equal((expected.Method, expected.Seed, expected.BestEpoch, expected.TrainTime, expected.QueryCount, expected.GallerySize),
                         (actual.Method, actual.Seed, actual.BestEpoch, actual.TrainTime, actual.QueryCount, actual.GallerySize));
            Assert.Equal(expected.Recall.OrderBy(p => p.Key), actual.Recall.OrderBy(p => p.Key));
            Assert.Equal(expected.History.Count, actual.History.Count);
            for (int e = 0; e < expected.History.Count; e++)
            {
                var (x, y) = (expected.History[e], actual.History[e]);
                Assert.Equal((x.Epoch, x.Steps, x.Loss, x.InfoNceLoss, x.UncertaintyLoss, x.Sigma, x.Gamma, x.LearningRate, x.Duration),
                             (y.Epoch, y.Steps, y.Loss, y.InfoNceLoss, y.UncertaintyLoss, y.Sigma, y.Gamma, y.LearningRate, y.Duration));
                Assert.Equal(x.ValidationRecall.OrderBy(p => p.Key), y.ValidationRecall.OrderBy(p => p.Key));
            }
        }
        Assert.Equal(ExperimentReportJson.Serialize(report), ExperimentReportJson.Serialize(loaded));
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public void WritesStableCamelCaseFieldNamesAndTheSummaries()
    {
        using var json = JsonDocument.Parse(ExperimentReportJson.Serialize(ReportFixtures.Example()));
        var root = json.RootElement;

        Assert.Equal(["formatVersion", "title", "evaluatedOn", "settings", "runs", "summaries"], Names(root));
        Assert.Equal(2, root.GetProperty("formatVersion").GetInt32());
        Assert.Equal("1, 2", root.GetProperty("settings").GetProperty("seeds").GetString());
        var run = root.GetProperty("runs")[0];
        Assert.Equal(["method", "seed", "recall", "queryCount", "gallerySize", "history", "bestEpoch", "trainTime", "modelPath"], Names(run));
        Assert.Equal(30.1, run.GetProperty("recall").GetProperty("10").GetDouble());
        Assert.Equal(["epoch", "steps", "loss", "infoNceLoss", "uncertaintyLoss", "sigma", "gamma", "learningRate", "validationRecall", "duration"],
                     Names(run.GetProperty("history")[0]));
        var summary = root.GetProperty("summaries")[0];
        Assert.Equal(["method", "runCount", "seeds", "recall", "bestEpochs", "meanTrainTime"], Names(summary));
        Assert.Equal(["k", "mean", "standardDeviation", "min", "max", "spread"], Names(summary.GetProperty("recall")[0]));
        Assert.Equal(30.5, summary.GetProperty("recall")[1].GetProperty("mean").GetDouble(), 1e-12);
    }

    [Fact]
    public void KeepsADivergedRunsNonFiniteLosses()
    {
        var report = new ExperimentReport();
        var run = ReportFixtures.Trained(MethodNames.Baseline, 1, 2, 10, 20, uncertainty: false);
        run = run with { History = [run.History[0] with { Loss = double.NaN, InfoNceLoss = double.PositiveInfinity }] };
        report.Runs.Add(run);

        var loaded = ExperimentReportJson.Deserialize(ExperimentReportJson.Serialize(report));

        Assert.True(double.IsNaN(loaded.Runs[0].History[0].Loss));
        Assert.True(double.IsPositiveInfinity(loaded.Runs[0].History[0].InfoNceLoss));
    }

    /// <summary>Version 1 had the epochs' validation recall in percent: read, it holds fractions and saves as version 2.</summary>
    [Fact]
    public void AVersion1ReportsEpochRecallIsReadAsFractions()
    {
        var report = ReportFixtures.Example();
        var json = JsonNode.Parse(ExperimentReportJson.Serialize(report))!;
        json["formatVersion"] = 1;
        foreach (var run in json["runs"]!.AsArray())
            foreach (var epoch in run!["history"]!.AsArray())
                foreach (var (k, value) in epoch!["validationRecall"]!.AsObject().ToList())
                    epoch["validationRecall"]![k] = 100 * value!.GetValue<double>();

        var loaded = ExperimentReportJson.Deserialize(json.ToJsonString());

        Assert.Equal(ExperimentReport.CurrentFormatVersion, loaded.FormatVersion);
        foreach (var (original, read) in report.Runs.SelectMany(r => r.History).Zip(loaded.Runs.SelectMany(r => r.History)))
            foreach (var k in original.ValidationRecall.Keys) Assert.Equal(original.ValidationRecall[k], read.ValidationRecall[k], 12);
        Assert.Equal(report.Runs.Select(r => r.Recall[10]), loaded.Runs.Select(r => r.Recall[10]));
    }

    [Fact]
    public void NamesTheFileAndTheProblemWhenItCannotRead()
    {
        using var folder = new TemporaryFolder();
        var broken = folder.WriteFile("broken.json", "{ \"runs\": [ { \"method\": ");
        var future = folder.WriteFile("future.json", "{ \"formatVersion\": 99 }");

        Assert.Contains("broken.json' is not an experiment report", Assert.Throws<InvalidDataException>(() => ExperimentReportJson.Load(broken)).Message);
        var version = Assert.Throws<InvalidDataException>(() => ExperimentReportJson.Load(future)).Message;
        Assert.Contains("future.json' is report format version 99; this code reads versions 1 and 2", version);
        Assert.Throws<FileNotFoundException>(() => ExperimentReportJson.Load(Path.Combine(folder.FullPath, "absent.json")));
    }

    private static string[] Names(JsonElement element) => element.EnumerateObject().Select(p => p.Name).ToArray();
}
