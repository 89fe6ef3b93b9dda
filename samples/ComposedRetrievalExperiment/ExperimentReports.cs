using MLNet.ComposedRetrieval.Reporting;
using SkiaSharp;

namespace MLNet.ComposedRetrieval.Experiment;

/// <summary>Writes results.json, results.md, the charts and the example-query grid, and prints the results table.</summary>
internal static class ExperimentReports
{
    public static ExperimentReport Write(ExperimentOptions options, ExperimentOutcome outcome, TextWriter console)
    {
        var data = outcome.Data;
        var report = new ExperimentReport
        {
            Title = $"Composed image retrieval on {data.Name}",
            EvaluatedOn = "val, reference excluded",
        };
        report.Set("data", Path.GetFullPath(options.Data))
            .Set("train triplets", data.TrainTripletCount)
            .Set("image encoder", $"ResNet-18 ImageNet (DnnImageFeaturizer ONNX), layer4 {(options.Layer4StrideOne ? "stride 1" : "stride 2")}, {(options.FineTuneImage ? "fine-tuned" : "frozen, cached features")}")
            .Set("text encoder", $"MiniLM-L6 mean-pooled, {(options.FineTuneText ? "fine-tuned at lr x 0.01" : "frozen, cached features")}")
            .Set("epochs", options.Epochs)
            .Set("triplets per epoch", options.TripletsPerEpoch?.ToString() ?? "all")
            .Set("batch size", options.BatchSize)
            .Set("learning rate", options.LearningRate)
            .Set("warm-up epochs", options.WarmupEpochs)
            .Set("decay epochs", options.ResolvedDecayEpochs.Count == 0 ? "none" : string.Join(", ", options.ResolvedDecayEpochs))
            .Set("gamma0", options.Gamma0).Set("w1", options.W1).Set("w2", options.W2)
            .Set("text dropout", options.TextDropout)
            .Set("style linears", options.PlainStyleLinears ? "plain" : "equalised")
            .Set("seeds", options.Seeds)
            .Set("machine", MachineDescription.Current("CPU"))
            .Set("torch threads", options.Threads)
            .Set("total time", outcome.Elapsed);

        if (outcome.ZeroShot is { } zeroShot) report.Runs.Add(MethodRun.FromMetrics(MethodNames.ZeroShot, null, zeroShot));
        foreach (var run in outcome.Runs)
        {
            report.Runs.Add(MethodRun.FromMetrics(DisplayName(run.Method), run.Seed, run.Validation) with
            {
                History = run.Model.TrainingHistory.ToArray(),
                BestEpoch = run.Model.Training?.BestEpoch,
                TrainTime = run.TrainTime,
                ModelPath = run.ModelPath,
            });
        }

        var files = ReportWriter.WriteAll(report, options.Output).ToList();
        var grid = WriteQueryGrid(options, outcome);
        if (grid is not null) files.Add(grid);

        console.WriteLine();
        console.WriteLine(MarkdownReport.ResultsTable(report));
        foreach (var file in files) console.WriteLine($"wrote {file}");
        return report;
    }

    public static string DisplayName(string method) => method switch
    {
        "baseline" => MethodNames.Baseline,
        "uncertainty" => MethodNames.Uncertainty,
        "uncertainty-rescaled" => "Uncertainty, rescaled targets (variant)",
        "uncertainty-learned-s" => "Uncertainty, learned s (variant)",
        _ => method,
    };

    /// <summary>The paper's Figure 4 for a seeded sample of val queries, with the first seed's model of each method.</summary>
    private static string? WriteQueryGrid(ExperimentOptions options, ExperimentOutcome outcome)
    {
        if (options.GridQueries <= 0 || outcome.Runs.Count == 0) return null;
        var firstSeed = outcome.Runs[0].Seed;
        var data = outcome.Data;
        var drawn = QueryGridRow.Sample(data.Queries.Count, options.GridQueries, seed: 0).Select(i => data.Queries[i]).ToList();
        var rankings = outcome.Runs.Where(r => r.Seed == firstSeed)
            .ToDictionary(r => DisplayName(r.Method), r => Rank(r.Model, data, drawn, 5));
        var rows = drawn.Select((q, i) => QueryGridRow.FromRankings(new GridQuery(q.ReferenceImage, q.ModificationText, q.TargetImages),
            rankings.ToDictionary(p => p.Key, p => p.Value[i]))).ToList();
        var path = Path.Combine(options.Output, "queries.png");
        QueryGrid.SavePng(rows, rankings.Keys.ToList(), SKBitmap.Decode, path,
            new QueryGridOptions { Title = $"Val queries, top 5 (seed {firstSeed}); green = a correct target" });
        return path;
    }

    /// <summary>The top <paramref name="k"/> of each of <paramref name="queries"/> (its reference excluded), through the model's public search engine.</summary>
    private static IReadOnlyList<GalleryRanking> Rank(ComposeImageTextTransformer model, ExperimentData data, IReadOnlyList<GridQueryRow> queries, int k)
    {
        // The gallery view's image paths are its ids, as in the validation the model was picked by.
        using var engine = model.CreateSearchEngine(data.Views.Gallery, imageIdColumnName: CompositionDataCatalog.GalleryImageColumnName,
            imageColumnName: CompositionDataCatalog.GalleryImageColumnName);
        var embeddings = engine.EmbedQueries(queries.Select(q => q.ReferenceImage).ToList(), queries.Select(q => q.ModificationText).ToList(),
            progress: null);
        return embeddings.Select((embedding, i) => engine.Search(embedding, k, excludedImageId: queries[i].ReferenceImage))
            .Select(results => new GalleryRanking(results.Select(r => r.ImageId).ToList(), results.Select(r => r.Score).ToList()))
            .ToList();
    }
}
