using System.Globalization;
using System.Text.Json.Serialization;

namespace MLNet.ComposedRetrieval.Reporting;

/// <summary>
/// The results of an experiment: its settings as free-form key/values (data, backbone, schedule, seeds, machine,
/// timings...) and every run scored, with per-method aggregates over seeds. Saved and loaded as JSON by
/// <see cref="ExperimentReportJson"/>, written as Markdown by <see cref="MarkdownReport"/>, drawn by
/// <see cref="ExperimentCharts"/>. Add runs as they finish and save after each, so a crash keeps the finished ones.
/// </summary>
public sealed class ExperimentReport
{
    /// <summary>The JSON layout written by this version; bumped when a field changes meaning or name. 2: the epoch
    /// history's validation recall is a fraction (version 1, still read, had it in percent).</summary>
    public const int CurrentFormatVersion = 2;

    /// <summary>The version whose epoch history holds validation recall in percent; read and converted.</summary>
    internal const int PercentHistoryFormatVersion = 1;

    /// <summary>The JSON layout version of this report.</summary>
    public int FormatVersion { get; init; } = CurrentFormatVersion;

    /// <summary>A heading for the Markdown and the charts.</summary>
    public string Title { get; set; } = "Composed image retrieval experiment";

    /// <summary>
    /// What the recall was measured on, e.g. "queries.val.tsv"; shown above the results table. Leave the query and
    /// gallery counts out: the caption adds them from the runs.
    /// </summary>
    public string? EvaluatedOn { get; set; }

    /// <summary>Settings and facts about the run, in insertion order (the order the Markdown lists them in).</summary>
    public OrderedDictionary<string, string> Settings { get; init; } = new();

    /// <summary>Every run, in the order they were added.</summary>
    public List<MethodRun> Runs { get; init; } = [];

    /// <summary>One aggregate per method, in order of first appearance; written to the JSON for readers, recomputed on load.</summary>
    public IReadOnlyList<MethodSummary> Summaries => MethodSummary.Summarise(Runs);

    /// <summary>The method names, in order of first appearance.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> Methods => Runs.Select(r => r.Method).Distinct().ToList();

    /// <summary>Sets (or replaces) a setting, formatting numbers and dates with the invariant culture.</summary>
    public ExperimentReport Set(string name, object? value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Settings[name] = value switch
        {
            null => "",
            TimeSpan time => ReportFormat.Duration(time),
            IEnumerable<int> numbers => string.Join(", ", numbers),
            _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
        };
        return this;
    }
}
