using System.Globalization;

namespace MLNet.ComposedRetrieval.Reporting;

/// <summary>How numbers and times read in tables, charts and settings (invariant culture throughout).</summary>
public static class ReportFormat
{
    /// <summary>A recall in percent with two decimals: "30.12".</summary>
    public static string Recall(double value) => value.ToString("F2", CultureInfo.InvariantCulture);

    /// <summary>"mean ± std" with two decimals; the mean alone for a single run, where a std says nothing.</summary>
    public static string MeanStd(RecallSummary summary, int runCount) =>
        runCount < 2 ? Recall(summary.Mean) : $"{Recall(summary.Mean)} ± {Recall(summary.StandardDeviation)}";

    /// <summary>A wall time rounded for people: "42 s", "12 min 05 s", "1 h 03 min".</summary>
    public static string Duration(TimeSpan time)
    {
        if (time < TimeSpan.Zero) return "-" + Duration(time.Negate());
        if (time.TotalSeconds < 10) return time.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";
        if (time.TotalMinutes < 1) return $"{Math.Round(time.TotalSeconds):0} s";
        if (time.TotalHours < 1) return $"{time.Minutes} min {time.Seconds:00} s";
        return $"{(int)time.TotalHours} h {time.Minutes:00} min";
    }
}
