using MLNet.ComposedRetrieval.Reporting;

namespace MLNet.ComposedRetrieval.Experiment;

/// <summary>The ablations command: reads a study's finished runs and writes its tables and charts.</summary>
internal static class AblationCommand
{
    public static void Run(ExperimentOptions options, TextWriter console)
    {
        var study = AblationStudy.Load(options.Study).WithMethodNames(ExperimentReports.DisplayName);
        var results = study.LoadResults(options.RunsRoot);
        int ran = results.Count(r => r.Runs.Count > 0);
        console.WriteLine($"{study.Settings.Count} settings in {study.Families.Count} families; {ran} with runs under {options.RunsRoot}.");
        foreach (var path in AblationReport.WriteAll(results, options.Output, "Ablations on the Fashion Product Images benchmark (val split)"))
            console.WriteLine($"  wrote {path}");
    }
}
