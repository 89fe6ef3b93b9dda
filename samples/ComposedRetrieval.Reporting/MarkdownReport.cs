using System.Text;

namespace MLNet.ComposedRetrieval.Reporting;

/// <summary>
/// Writes an <see cref="ExperimentReport"/> as Markdown: the results table (one row per method, Recall@K as
/// mean ± std over seeds), one row per run, and the settings. Epochs are shown from 1, as the trainer logs them.
/// </summary>
public static class MarkdownReport
{
    /// <summary>The whole report: title, results, runs and settings.</summary>
    public static string Write(ExperimentReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        text.Append("# ").AppendLine(Cell(report.Title)).AppendLine();
        text.AppendLine("## Results").AppendLine();
        text.AppendLine(Caption(report)).AppendLine();
        text.Append(ResultsTable(report)).AppendLine();
        var comparisons = ComparisonTable(report);
        if (comparisons.Length > 0)
        {
            text.AppendLine($"## Against the {MethodNames.Baseline}").AppendLine();
            text.AppendLine("Difference of mean Recall@K in points; a method beats the baseline at K when both ran at least " +
                            $"{MethodComparison.MinimumSeeds} seeds and the difference exceeds the larger seed spread (max - min) of the two.").AppendLine();
            text.Append(comparisons).AppendLine();
            var paired = PairedTable(report);
            if (paired.Length > 0)
            {
                text.AppendLine("Paired by seed (method minus baseline, same seed, in points):").AppendLine();
                text.Append(paired).AppendLine();
            }
        }
        text.AppendLine("## Runs").AppendLine();
        text.Append(RunsTable(report)).AppendLine();
        text.AppendLine("## Settings").AppendLine();
        text.Append(SettingsTable(report));
        return text.ToString();
    }

    /// <summary>
    /// One row per method: runs, Recall@K (mean ± std over runs), the seed spread of the largest K, best epochs
    /// and mean training time. <paramref name="ks"/> picks the columns (default: every K any method has).
    /// </summary>
    public static string ResultsTable(ExperimentReport report, IReadOnlyList<int>? ks = null)
    {
        var summaries = report.Summaries;
        ks ??= summaries.SelectMany(s => s.Recall.Select(r => r.K)).Distinct().Order().ToList();
        var text = new StringBuilder();
        text.Append("| Method | Seeds |");
        foreach (var k in ks) text.Append($" R@{k} |");
        text.AppendLine($" Spread (max - min) of {string.Join(" / ", ks.Select(k => $"R@{k}"))} | Best epoch | Train time |");
        text.Append("|---|---:|");
        foreach (var _ in ks) text.Append("---:|");
        text.AppendLine("---|---|---:|");
        foreach (var summary in summaries)
        {
            text.Append($"| {Cell(summary.Method)} | {summary.RunCount} |");
            foreach (var k in ks)
                text.Append(summary.RecallAt(k) is { } recall ? $" {ReportFormat.MeanStd(recall, summary.RunCount)} |" : " - |");
            text.Append($" {Spreads(summary, ks)} |");
            text.Append($" {(summary.BestEpochs.Count == 0 ? "-" : string.Join(", ", summary.BestEpochs.Select(e => e + 1)))} |");
            text.AppendLine($" {(summary.MeanTrainTime is { } time ? ReportFormat.Duration(time) : "-")} |");
        }
        return text.ToString();
    }

    /// <summary>
    /// Every method but the baseline and zero-shot against <see cref="MethodNames.Baseline"/>, one row per method and K;
    /// empty when the report has no baseline or nothing to compare with it.
    /// </summary>
    public static string ComparisonTable(ExperimentReport report)
    {
        var rows = report.Methods.Where(m => m is not (MethodNames.Baseline or MethodNames.ZeroShot))
            .SelectMany(m => MethodComparison.Compare(report, m, MethodNames.Baseline)).ToList();
        if (rows.Count == 0) return "";
        var text = new StringBuilder();
        text.AppendLine("| Method | K | Difference | Larger seed spread | Beats the baseline |");
        text.AppendLine("|---|---:|---:|---:|---|");
        foreach (var row in rows)
        {
            var difference = (row.Difference >= 0 ? "+" : "") + ReportFormat.Recall(row.Difference);
            var verdict = row.Beats ? "yes" : row.EnoughSeeds ? "no" : $"undecided ({row.FewerSeeds} seed; needs {MethodComparison.MinimumSeeds})";
            text.AppendLine($"| {Cell(row.Method)} | {row.K} | {difference} | {ReportFormat.Recall(row.LargerSpread)} | {verdict} |");
        }
        return text.ToString();
    }

    /// <summary>
    /// For every method but the baseline and zero-shot, its Recall@K minus the baseline's on each seed both ran (the
    /// paired difference, which the seed's own luck cancels out of); empty when no seed pairs up.
    /// </summary>
    public static string PairedTable(ExperimentReport report, IReadOnlyList<int>? ks = null)
    {
        ks ??= report.Runs.SelectMany(r => r.Recall.Keys).Distinct().Order().ToList();
        var baseline = report.Runs.Where(r => r.Method == MethodNames.Baseline && r.Seed is not null).ToDictionary(r => r.Seed!.Value);
        var pairs = report.Runs
            .Where(r => r.Method is not (MethodNames.Baseline or MethodNames.ZeroShot) && r.Seed is { } seed && baseline.ContainsKey(seed))
            .Select(r => (Run: r, Baseline: baseline[r.Seed!.Value])).ToList();
        if (pairs.Count == 0) return "";
        var text = new StringBuilder();
        text.Append("| Method | Seed |");
        foreach (var k in ks) text.Append($" R@{k} |");
        text.AppendLine();
        text.Append("|---|---:|");
        foreach (var _ in ks) text.Append("---:|");
        text.AppendLine();
        foreach (var (run, against) in pairs)
        {
            text.Append($"| {Cell(run.Method)} | {run.Seed} |");
            foreach (var k in ks)
                text.Append(run.RecallAt(k) is { } recall && against.RecallAt(k) is { } reference
                    ? $" {(recall - reference >= 0 ? "+" : "")}{ReportFormat.Recall(recall - reference)} |" : " - |");
            text.AppendLine();
        }
        return text.ToString();
    }

    /// <summary>One row per run: method, seed, Recall@K, best epoch of the epochs run, training time.</summary>
    public static string RunsTable(ExperimentReport report, IReadOnlyList<int>? ks = null)
    {
        ks ??= report.Runs.SelectMany(r => r.Recall.Keys).Distinct().Order().ToList();
        var text = new StringBuilder();
        text.Append("| Method | Seed |");
        foreach (var k in ks) text.Append($" R@{k} |");
        text.AppendLine(" Best epoch | Train time | Queries | Gallery |");
        text.Append("|---|---:|");
        foreach (var _ in ks) text.Append("---:|");
        text.AppendLine("---:|---:|---:|---:|");
        foreach (var run in report.Runs)
        {
            text.Append($"| {Cell(run.Method)} | {(run.Seed?.ToString() ?? "-")} |");
            foreach (var k in ks)
                text.Append(run.RecallAt(k) is { } recall ? $" {ReportFormat.Recall(recall)} |" : " - |");
            text.Append(run.BestEpoch is { } best ? $" {best + 1} of {run.History.Count} |" : " - |");
            text.Append($" {(run.TrainTime is { } time ? ReportFormat.Duration(time) : "-")} |");
            text.AppendLine($" {run.QueryCount} | {run.GallerySize} |");
        }
        return text.ToString();
    }

    /// <summary>The settings as a two-column table, in insertion order.</summary>
    public static string SettingsTable(ExperimentReport report)
    {
        var text = new StringBuilder();
        text.AppendLine("| Setting | Value |");
        text.AppendLine("|---|---|");
        foreach (var (name, value) in report.Settings)
            text.AppendLine($"| {Cell(name)} | {Cell(value)} |");
        return text.ToString();
    }

    private static string Caption(ExperimentReport report)
    {
        var queries = report.Runs.Select(r => (r.QueryCount, r.GallerySize)).Distinct().ToList();
        var on = report.EvaluatedOn is null ? "" : $" on {report.EvaluatedOn}";
        var sizes = queries.Count == 1 ? $" ({queries[0].QueryCount} queries, gallery of {queries[0].GallerySize} images)" : "";
        return $"Recall@K in percent{on}{sizes}; mean ± sample standard deviation over seeds " +
               "(the mean alone for a single run). Best epochs are counted from 1.";
    }

    /// <summary>The seed spread (max - min) of each K, e.g. "0.41 / 1.20 / 0.85"; "-" for a single run.</summary>
    private static string Spreads(MethodSummary summary, IReadOnlyList<int> ks) =>
        summary.RunCount < 2
            ? "-"
            : string.Join(" / ", ks.Select(k => summary.RecallAt(k) is { } r ? ReportFormat.Recall(r.Spread) : "-"));

    /// <summary>Keeps a value inside its table cell: pipes escaped, line breaks flattened.</summary>
    private static string Cell(string value) =>
        value.Replace("|", "\\|").Replace("\r\n", " ").Replace('\n', ' ').Replace('\r', ' ');
}
