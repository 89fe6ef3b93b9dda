using System.Globalization;
using System.Text;
using MLNet.ComposedRetrieval.Storage;

namespace MLNet.ComposedRetrieval.Reporting;

/// <summary>
/// Writes an ablation study's results: one Markdown table per family (each setting against the family's default, with
/// the verdict of <see cref="MethodComparison"/>: does the difference exceed the seed spread) and one chart per family
/// with a panel per compared Recall@K (mean over seeds, bar from min to max), drawn by <see cref="ChartRenderer"/> like
/// the main job's charts.
/// </summary>
public static class AblationReport
{
    private const string Row = "setting", Default = "default";

    /// <summary>The cut-offs compared with the default and charted (the paper's tables report R@10 and R@50).</summary>
    public static readonly int[] ComparedKs = [10, 50];

    /// <summary>One "### family" section with its table per family, in study order.</summary>
    public static string Markdown(IReadOnlyList<AblationResult> results)
    {
        var text = new StringBuilder();
        foreach (var family in results.GroupBy(r => r.Setting.Family))
        {
            var reference = family.Single(r => r.Setting.IsDefault);
            text.Append("### ").AppendLine(family.Key).AppendLine();
            text.AppendLine("| Setting | Method | Seeds | R@1 | R@10 | R@50 | Spread of R@10 / R@50 | Δ R@10 / Δ R@50 vs default | Paired by seed, R@10 / R@50 | Beyond the seed spread? |");
            text.AppendLine("|---|---|---:|---:|---:|---:|---|---|---|---|");
            foreach (var result in family) text.AppendLine(TableRow(result, reference));
            text.AppendLine();
        }
        return text.ToString();
    }

    /// <summary>
    /// One family's chart: a panel per compared K (validation Recall@K per setting: mean over seeds, bar from min to max),
    /// a series per method; null while none of its settings has run.
    /// </summary>
    public static ChartFigure? Chart(IReadOnlyList<AblationResult> results, string family)
    {
        var settings = results.Where(r => r.Setting.Family == family).ToList();
        if (settings.All(r => r.Runs.Count == 0)) return null;
        var methods = results.Select(r => r.Setting.Method).Distinct().ToList();
        var categories = settings.Select(Label).Distinct().ToList();
        var panels = ComparedKs.Select(k =>
        {
            var series = new List<ChartSeries>();
            foreach (var method in settings.Where(r => r.Runs.Count > 0).GroupBy(r => r.Setting.Method))
            {
                var points = method.Select(r => (X: (double)categories.IndexOf(Label(r)),
                        Values: r.Runs.Select(run => run.RecallAt(k)).Where(v => v is not null).Select(v => v!.Value).ToList()))
                    .Where(p => p.Values.Count > 0).ToList();
                series.Add(new ChartSeries(method.Key, MethodColors.For(method.Key, methods), points.Select(p => p.X).ToList(),
                    points.Select(p => p.Values.Average()).ToList())
                {
                    Band = points.Select(p => (p.Values.Min(), p.Values.Max())).ToList(),
                    BandAsBars = true,
                });
            }
            return new ChartPanel($"Recall@{k}", family, $"val R@{k} (%)", series) { XCategories = categories };
        }).ToList();
        return new ChartFigure($"Ablation: {family}", panels)
        {
            Note = "Dots: mean over seeds; bars: min to max over seeds. Settings not yet run have no dot.",
        };
    }

    /// <summary>
    /// Writes ablations.md and, per family with runs, ablation-&lt;family&gt;.png (<see cref="ChartFileName"/>) into
    /// <paramref name="folder"/>; returns the paths.
    /// </summary>
    public static IReadOnlyList<string> WriteAll(IReadOnlyList<AblationResult> results, string folder, string? heading = null)
    {
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        var markdown = Path.Combine(folder, "ablations.md");
        AtomicFile.WriteAllText(markdown, (heading is null ? "" : $"# {heading}\n\n") + Markdown(results));
        written.Add(markdown);
        foreach (var family in results.Select(r => r.Setting.Family).Distinct())
        {
            if (Chart(results, family) is not { } figure) continue;
            var path = Path.Combine(folder, ChartFileName(family));
            ChartRenderer.SavePng(figure, path, panelWidth: 420);
            written.Add(path);
        }
        return written;
    }

    /// <summary>"ablation-" and the family's letters and digits, lower case, runs of others as one '-'.</summary>
    public static string ChartFileName(string family) =>
        "ablation-" + string.Join('-', new string(family.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : ' ').ToArray())
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)) + ".png";

    private static string Label(AblationResult result) =>
        result.Setting.IsDefault ? result.Setting.Setting + " (default)" : result.Setting.Setting;

    private static string TableRow(AblationResult result, AblationResult reference)
    {
        var setting = result.Setting;
        var name = Label(result);
        if (result.Runs.Count == 0) return $"| {name} | {setting.Method} | 0 | not run yet | | | | | | |";
        var summary = MethodSummary.Summarise(result.Runs).Single();
        string Cell(int k) => summary.RecallAt(k) is { } recall ? ReportFormat.MeanStd(recall, summary.RunCount) : "-";
        string Spread(int k) => summary.RecallAt(k) is { } recall ? ReportFormat.Recall(recall.Spread) : "-";
        var row = $"| {name} | {setting.Method} | {summary.RunCount} | {Cell(1)} | {Cell(10)} | {Cell(50)} | {Spread(10)} / {Spread(50)} |";
        if (setting.IsDefault) return row + " - | - | - |";
        if (reference.Runs.Count == 0) return row + " default not run yet | | |";

        // MethodComparison compares methods of one report: the setting and the default go in as two named methods.
        var pair = new ExperimentReport();
        pair.Runs.AddRange(result.Runs.Select(r => r with { Method = Row }));
        pair.Runs.AddRange(reference.Runs.Select(r => r with { Method = Default }));
        var comparisons = MethodComparison.Compare(pair, Row, Default, ComparedKs);
        var differences = string.Join(" / ", comparisons.Select(c => Signed(c.Difference)));
        var bySeed = reference.Runs.ToDictionary(r => r.Seed!.Value);
        var paired = string.Join("; ", result.Runs.Where(r => bySeed.ContainsKey(r.Seed!.Value)).Select(r =>
            $"seed {r.Seed}: " + string.Join(" / ", ComparedKs.Select(k => r.RecallAt(k) is { } a && bySeed[r.Seed!.Value].RecallAt(k) is { } b ? Signed(a - b) : "-"))));
        return row + $" {differences} | {(paired.Length == 0 ? "no common seed" : paired)} | {Verdict(comparisons)} |";
    }

    /// <summary>Per compared K: "yes, higher" / "yes, lower" beyond the larger seed spread, "no (within)" otherwise.</summary>
    private static string Verdict(IReadOnlyList<MethodComparison> comparisons)
    {
        if (comparisons.Count == 0) return "-";
        if (!comparisons[0].EnoughSeeds) return $"needs {MethodComparison.MinimumSeeds} seeds each";
        return string.Join("; ", comparisons.Select(c =>
            $"R@{c.K}: " + (c.DiffersBeyondSpread ? (c.Difference > 0 ? "yes, higher" : "yes, lower") : "no, within " + ReportFormat.Recall(c.LargerSpread))));
    }

    private static string Signed(double value) => value.ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture);
}
