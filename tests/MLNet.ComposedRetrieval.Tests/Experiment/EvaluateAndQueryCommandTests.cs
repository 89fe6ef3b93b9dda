using System.Globalization;
using System.Text.RegularExpressions;
using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Experiment;
using MLNet.ComposedRetrieval.Reporting;
using MLNet.ComposedRetrieval.Retrieval;
using MLNet.ComposedRetrieval.Tests.Data;
using MLNet.ComposedRetrieval.Tests.Pipeline;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Experiment;

/// <summary>
/// The experiment's evaluate and query commands on a small synthetic model saved to a file, a folder of PNG images and a
/// query TSV: the figures are RecallAtK's on the model's own embeddings, a split restricts the gallery, a second call
/// reuses the cached gallery embeddings, and query prints the top K in score order.
/// </summary>
[Collection(TrainedModelCollection.Name)]
public sealed class EvaluateAndQueryCommandTests : IDisposable
{
    private const int BatchSize = 32;
    private readonly TrainedModelFixture _fixture;
    private readonly ITestOutputHelper _output;
    private readonly TemporaryFolder _folder = new();
    private readonly string _model, _gallery, _queries, _cache;

    public EvaluateAndQueryCommandTests(TrainedModelFixture fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
        _model = Path.Combine(_folder.FullPath, "baseline-seed3.mlcr");
        fixture.Model.Save(_model);
        _gallery = Directory.CreateDirectory(Path.Combine(_folder.FullPath, "gallery")).FullName;
        SyntheticRows.WritePngs(_gallery);
        _queries = Path.Combine(_folder.FullPath, "queries.tsv");
        File.WriteAllLines(_queries, ["reference_image\tmodification_text\ttarget_images",
            .. SyntheticRows.Task.Queries.Select(q => $"{q.Reference}.png\t{q.Text}\t{q.Target}.png")]);
        _cache = Path.Combine(_folder.FullPath, "cache");
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void EvaluateScoresLikeRecallAtKOnTheModelsEmbeddingsAndCachesTheGallery()
    {
        var (report, console) = Evaluate("first");
        var run = Assert.Single(report.Runs);
        Assert.Equal(MethodNames.Baseline, run.Method);
        Assert.Equal(3, run.Seed);
        Assert.Equal(SyntheticRows.Task.Queries.Count, run.QueryCount);
        Assert.Equal(SyntheticRows.Task.Images.Count, run.GallerySize);
        Assert.Contains($"{SyntheticRows.Task.Images.Count} of {SyntheticRows.Task.Images.Count} to compute", console);

        var ids = Enumerable.Range(0, SyntheticRows.Task.Images.Count).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
        var expected = DirectRecall(ids);
        Assert.Equal(expected.Ks, run.Recall.Keys);
        Assert.Equal(expected.Recalls, run.Recall.Values);
        Assert.Equal(report.Runs[0].Recall, ExperimentReportJson.Load(Path.Combine(_folder.FullPath, "first", "results.json")).Runs[0].Recall);
        var caption = File.ReadAllLines(Path.Combine(_folder.FullPath, "first", "results.md")).Single(l => l.StartsWith("Recall@K in percent", StringComparison.Ordinal));
        Assert.EndsWith($", reference excluded ({SyntheticRows.Task.Queries.Count} queries, gallery of {SyntheticRows.Task.Images.Count} images); " +
                        "mean ± sample standard deviation over seeds (the mean alone for a single run). Best epochs are counted from 1.", caption);
        Assert.Single(Regex.Matches(caption, " queries"));
        Assert.False(File.Exists(Path.Combine(_folder.FullPath, "first", "loss.png")), "an evaluation has no epochs to chart");

        var (again, secondConsole) = Evaluate("second");
        Assert.Contains($"0 of {SyntheticRows.Task.Images.Count} to compute", secondConsole);
        Assert.Equal(run.Recall, again.Runs[0].Recall);
    }

    [Fact]
    public void EvaluateScoresTheSameQueriesAgainstEachGalleryPrecisionAsked()
    {
        var (report, console) = Evaluate("precisions", "--gallery-precision", "single,half,int8");

        var ids = Enumerable.Range(0, SyntheticRows.Task.Images.Count).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(3, report.Runs.Count);
        foreach (var (run, precision, name) in report.Runs.Zip([GalleryPrecision.Single, GalleryPrecision.Half, GalleryPrecision.Int8],
            ["float32", "float16", "int8"]))
        {
            Assert.Equal($"{MethodNames.Baseline} ({name} gallery)", run.Method);
            Assert.Equal(DirectRecall(ids, precision).Recalls, run.Recall.Values);
            Assert.Contains($"{name} gallery (", console);
        }
        Assert.Contains("float16 gallery vs float32: top-50 overlap", console);
        Assert.Contains("int8 gallery vs float32: top-50 overlap", console);
    }

    [Fact]
    public void MaxQueriesEvaluatesASeededSampleOfTheQueries()
    {
        var (first, console) = Evaluate("sample", "--max-queries", "3");
        var (second, _) = Evaluate("sample-again", "--max-queries", "3");

        Assert.Equal(3, first.Runs[0].QueryCount);
        Assert.Contains($"sampled 3 of {SyntheticRows.Task.Queries.Count} queries", console);
        Assert.Equal(first.Runs[0].Recall, second.Runs[0].Recall);
    }

    [Fact]
    public void ASplitFileRestrictsTheGallery()
    {
        var needed = SyntheticRows.Task.Queries.SelectMany(q => new[] { q.Reference, q.Target }).Distinct().ToList();
        var split = needed.Concat(Enumerable.Range(0, 10)).Distinct().Order().Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
        var splitFile = Path.Combine(_folder.FullPath, "split.json");
        File.WriteAllText(splitFile, System.Text.Json.JsonSerializer.Serialize(split));

        var (report, _) = Evaluate("split", "--split", splitFile);

        var run = Assert.Single(report.Runs);
        Assert.Equal(split.Count, run.GallerySize);
        Assert.True(split.Count < SyntheticRows.Task.Images.Count);
        Assert.Equal(DirectRecall(split).Recalls, run.Recall.Values);
    }

    [Fact]
    public void ATargetOutsideTheGalleryFailsWithAReportOrIsDroppedWhenAsked()
    {
        var queries = Path.Combine(_folder.FullPath, "one-missing.tsv");
        File.WriteAllLines(queries, [.. File.ReadAllLines(_queries), "0.png\tmake it blue\tnot-there.jpg"]);
        var error = Assert.Throws<IOException>(() => Evaluate("missing", "--queries", queries));
        Assert.Contains("1 of", error.Message);
        Assert.Contains("not-there", error.Message);
        Assert.Contains("--drop-missing-images", error.Message);

        var (report, console) = Evaluate("dropped", "--queries", queries, "--drop-missing-images");
        Assert.Equal(SyntheticRows.Task.Queries.Count, report.Runs[0].QueryCount);
        Assert.Contains("Dropped 1 queries, 0 query targets", console);
    }

    [Fact]
    public void QueryPrintsTheTopKInScoreOrderWithoutTheQueryImage()
    {
        var query = SyntheticRows.Task.Queries[0];
        var image = Path.Combine(_gallery, $"{query.Reference}.png");
        var options = ExperimentOptions.Parse(["query", "--model", _model, "--image", image, "--text", query.Text, "--gallery", _gallery,
            "--top-k", "4", "--cache", _cache]);
        var console = new StringWriter();

        var results = new GalleryQuery(options, console).Run();
        _output.WriteLine(console.ToString());

        var lines = console.ToString().Split('\n').Where(l => l.EndsWith(".png", StringComparison.Ordinal) && !l.StartsWith("Top", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, lines.Count);
        var scores = lines.Select(l => float.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(scores.OrderDescending(), scores);
        Assert.Equal(results.Select(r => r.ImageId), lines.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2]));
        Assert.DoesNotContain(query.Reference.ToString(CultureInfo.InvariantCulture), results.Select(r => r.ImageId));
    }

    [Theory]
    [InlineData("--model", "evaluate needs --model FILE")]
    [InlineData("--gallery", "evaluate needs --gallery DIR")]
    [InlineData("--queries", "evaluate needs the queries")]
    public void EvaluateNamesWhatIsMissing(string left, string message)
    {
        var args = new Dictionary<string, string> { ["--model"] = "m.mlcr", ["--gallery"] = "g", ["--queries"] = "q.tsv" };
        args.Remove(left);
        var error = Assert.Throws<ArgumentException>(() => ExperimentOptions.Parse(["evaluate", .. args.SelectMany(a => new[] { a.Key, a.Value })]));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void CommandOptionsParse()
    {
        var evaluate = ExperimentOptions.Parse(["evaluate", "--model", "m.mlcr", "--data", "d", "--format", "fashioniq", "--category", "shirt",
            "--gallery", "g", "--split", "s.json", "--image-root", "r"]);
        Assert.Equal(("evaluate", "m.mlcr", "g", "s.json", "r"), (evaluate.Command, evaluate.Model, evaluate.Gallery, evaluate.Split, evaluate.ImageRoot));
        Assert.Equal(("fashioniq", "shirt", true), (evaluate.Format, evaluate.Category, evaluate.DataGiven));
        Assert.Contains("not both", Assert.Throws<ArgumentException>(() =>
            ExperimentOptions.Parse(["evaluate", "--model", "m", "--gallery", "g", "--queries", "q", "--data", "d"])).Message);

        var query = ExperimentOptions.Parse(["query", "--model", "m.mlcr", "--image", "a.jpg", "--text", "make it red", "--gallery", "g", "--top-k", "3"]);
        Assert.Equal(("a.jpg", "make it red", 3), (query.Image, query.Text, query.TopK));
        Assert.Contains("query needs --text", Assert.Throws<ArgumentException>(() =>
            ExperimentOptions.Parse(["query", "--model", "m", "--image", "a.jpg", "--gallery", "g"])).Message);
        Assert.Contains("query needs --gallery", Assert.Throws<ArgumentException>(() =>
            ExperimentOptions.Parse(["query", "--model", "m", "--image", "a.jpg", "--text", "x"])).Message);
        Assert.Equal([GalleryPrecision.Single], query.GalleryPrecisions);

        string[] halfQuery = ["query", "--model", "m", "--image", "a.jpg", "--text", "x", "--gallery", "g", "--gallery-precision", "Half"];
        Assert.Equal([GalleryPrecision.Half], ExperimentOptions.Parse(halfQuery).GalleryPrecisions);
        Assert.Contains("give one --gallery-precision", Assert.Throws<ArgumentException>(() =>
            ExperimentOptions.Parse([.. halfQuery[..^1], "half,int8"])).Message);
        Assert.Contains("expects single, half or int8", Assert.Throws<ArgumentException>(() =>
            ExperimentOptions.Parse([.. halfQuery[..^1], "fp8"])).Message);
        Assert.DoesNotContain("planned", ExperimentOptions.HelpText);
    }

    [Fact]
    public void SplitFilesAreReadAsJsonArraysOrLinesAndIdsLoseImageExtensions()
    {
        var json = _folder.WriteFile("a.json", "[\"B001\", \"B002\"]");
        var lines = _folder.WriteFile("b.tsv", "image_id\n17\r\n18.jpg\n\n17\n");
        Assert.Equal(["B001", "B002"], GalleryFolder.ReadSplit(json));
        Assert.Equal(["17", "18"], GalleryFolder.ReadSplit(lines));
        Assert.Equal("women_dress_1", GalleryFolder.IdOf("women/dresses/women_dress_1.jpeg"));
    }

    private (ExperimentReport Report, string Console) Evaluate(string output, params string[] extra)
    {
        string[] args = ["evaluate", "--model", _model, "--gallery", _gallery, "--output", Path.Combine(_folder.FullPath, output),
            "--cache", _cache, "--batch-size", BatchSize.ToString(CultureInfo.InvariantCulture)];
        if (!extra.Contains("--queries")) args = [.. args, "--queries", _queries];
        var console = new StringWriter();
        try
        {
            return (new ModelEvaluation(ExperimentOptions.Parse([.. args, .. extra]), console).Run(), console.ToString());
        }
        finally
        {
            _output.WriteLine(console.ToString());
        }
    }

    /// <summary>Recall@1/10/50 straight from the model's embeddings of the PNGs (in the command's batch size) and RecallAtK,
    /// the gallery stored at <paramref name="precision"/>.</summary>
    private RecallAtKResult DirectRecall(IReadOnlyList<string> galleryIds, GalleryPrecision precision = GalleryPrecision.Single)
    {
        var model = _fixture.Model.Model;
        int d = model.EmbeddingDimension;
        RgbImage Load(string id) => model.Prepare(ImageDecoder.Decode(Path.Combine(_gallery, id + ".png")));
        var gallery = new float[galleryIds.Count * d];
        for (int start = 0; start < galleryIds.Count; start += BatchSize)
        {
            var batch = galleryIds.Skip(start).Take(BatchSize).Select(Load).ToList();
            model.EmbedImages(batch, gallery.AsSpan(start * d, batch.Count * d));
        }
        var queries = SyntheticRows.Task.Queries;
        var composed = new float[queries.Count * d];
        for (int start = 0; start < queries.Count; start += BatchSize)
        {
            var batch = queries.Skip(start).Take(BatchSize).ToList();
            model.ComposeQueries(batch.Select(q => Load(q.Reference.ToString(CultureInfo.InvariantCulture))).ToList(),
                batch.Select(q => q.Text).ToList(), composed.AsSpan(start * d, batch.Count * d));
        }
        using var scope = NewDisposeScope();
        using var index = new GalleryIndex(galleryIds, tensor(gallery, [galleryIds.Count, d]), precision: precision);
        return RecallAtK.Compute(index, tensor(composed, [queries.Count, d]),
            queries.Select(q => (string?)q.Reference.ToString(CultureInfo.InvariantCulture)).ToList(),
            queries.Select(q => (IReadOnlyCollection<string>)[q.Target.ToString(CultureInfo.InvariantCulture)]).ToList(), [1, 10, 50]);
    }
}
