namespace MLNet.ComposedRetrieval.Experiment;

/// <summary>Writes the results table to the console and the report files to the output folder.</summary>
internal static class ExperimentReports
{
    public static void Write(ExperimentOptions options, ExperimentOutcome outcome, TextWriter console)
    {
        console.WriteLine();
        console.WriteLine($"Results on {outcome.Dataset.Name} (val, {outcome.Dataset.EvalQueries.Count} queries, gallery {outcome.Dataset.GalleryImageIds.Count}):");
        console.WriteLine($"  zero-shot: {outcome.ZeroShot}");
        foreach (var run in outcome.Runs)
            console.WriteLine($"  {run.Method} seed {run.Seed}: {run.Validation} (best epoch {run.Training.BestEpoch + 1}, {run.TrainTime:m\\:ss})");
        console.WriteLine($"Total time {outcome.Elapsed:h\\:mm\\:ss}.");
    }
}
