using System.Text.Json;
using System.Text.Json.Serialization;
using MLNet.ComposedRetrieval.Storage;

namespace MLNet.ComposedRetrieval.Reporting;

/// <summary>
/// Reads and writes an <see cref="ExperimentReport"/> as indented JSON. Field names are the camel-cased property
/// names (pinned by a test: renaming a property changes the format and must bump
/// <see cref="ExperimentReport.CurrentFormatVersion"/>); times are "d.hh:mm:ss.fffffff" strings; a diverged run's
/// NaN or infinite losses are written as the strings "NaN", "Infinity" instead of failing the whole report.
/// </summary>
public static class ExperimentReportJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Serialize(ExperimentReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return JsonSerializer.Serialize(report, Options);
    }

    /// <param name="json">The JSON text.</param>
    /// <param name="source">Names the JSON in error messages (a file path).</param>
    /// <exception cref="InvalidDataException">The text is not a report of a format version this code reads.</exception>
    public static ExperimentReport Deserialize(string json, string source = "the JSON text")
    {
        ExperimentReport? report;
        try
        {
            report = JsonSerializer.Deserialize<ExperimentReport>(json, Options);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source} is not an experiment report: {e.Message}", e);
        }
        if (report is null) throw new InvalidDataException($"{source} holds null, not an experiment report.");
        if (report.FormatVersion == ExperimentReport.PercentHistoryFormatVersion) return WithHistoryRecallAsFractions(report);
        if (report.FormatVersion != ExperimentReport.CurrentFormatVersion)
            throw new InvalidDataException(
                $"{source} is report format version {report.FormatVersion}; this code reads versions " +
                $"{ExperimentReport.PercentHistoryFormatVersion} and {ExperimentReport.CurrentFormatVersion}.");
        return report;
    }

    /// <summary>A version-1 report in the current layout: its epochs' validation recall from percent to fractions.</summary>
    private static ExperimentReport WithHistoryRecallAsFractions(ExperimentReport report) => new()
    {
        Title = report.Title,
        EvaluatedOn = report.EvaluatedOn,
        Settings = report.Settings,
        Runs = report.Runs.Select(run => run with
        {
            History = run.History.Select(e => e with { ValidationRecall = e.ValidationRecall.ToDictionary(p => p.Key, p => p.Value / 100.0) }).ToList(),
        }).ToList(),
    };

    /// <summary>Writes the report to <paramref name="path"/> through a temporary file, so a reader never sees half of it.</summary>
    public static void Save(ExperimentReport report, string path) => AtomicFile.WriteAllText(path, Serialize(report));

    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a readable report.</exception>
    public static ExperimentReport Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Experiment report '{path}' does not exist.", path);
        return Deserialize(File.ReadAllText(path), $"'{path}'");
    }
}
