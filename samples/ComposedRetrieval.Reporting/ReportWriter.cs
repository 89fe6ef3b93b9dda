using MLNet.ComposedRetrieval.Storage;

namespace MLNet.ComposedRetrieval.Reporting;

/// <summary>Writes every file of an experiment's results into one folder (the query grid aside: it needs images).</summary>
public static class ReportWriter
{
    public const string JsonFile = "results.json";
    public const string MarkdownFile = "results.md";

    /// <summary>
    /// Writes results.json, results.md, loss.png, val-recall.png and, when there are uncertainty runs,
    /// uncertainty.png (the charts only with <paramref name="charts"/>: a report of evaluated models has no epochs to draw);
    /// returns the paths written. Each file is written through a temporary name.
    /// </summary>
    public static IReadOnlyList<string> WriteAll(ExperimentReport report, string folder, float chartScale = 1, bool charts = true)
    {
        ArgumentNullException.ThrowIfNull(report);
        Directory.CreateDirectory(folder);
        var json = Path.Combine(folder, JsonFile);
        ExperimentReportJson.Save(report, json);
        var markdown = Path.Combine(folder, MarkdownFile);
        AtomicFile.WriteAllText(markdown, MarkdownReport.Write(report));
        return charts ? [json, markdown, .. ExperimentCharts.WriteAll(report, folder, chartScale)] : [json, markdown];
    }
}
