using System.Globalization;
using System.Text;

namespace MLNet.ComposedRetrieval.Benchmarks.Harness;

/// <summary>Prints rows as a Markdown table, so the harness output can be pasted into benchmarks/README.md.</summary>
internal sealed class MarkdownTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public void Add(params object?[] cells) =>
        _rows.Add(cells.Select(c => c switch
        {
            null => "-",
            double d => Format(d),
            float f => Format(f),
            _ => Convert.ToString(c, CultureInfo.InvariantCulture) ?? "",
        }).ToArray());

    public override string ToString()
    {
        var text = new StringBuilder();
        text.AppendLine("| " + string.Join(" | ", headers) + " |");
        text.AppendLine("|" + string.Join("|", headers.Select(_ => "---")) + "|");
        foreach (var row in _rows) text.AppendLine("| " + string.Join(" | ", row) + " |");
        return text.ToString();
    }

    /// <summary>Three significant digits, without exponent for everyday magnitudes.</summary>
    public static string Format(double value) =>
        double.IsNaN(value) ? "-" :
        Math.Abs(value) >= 100 ? value.ToString("F0", CultureInfo.InvariantCulture) :
        Math.Abs(value) >= 10 ? value.ToString("F1", CultureInfo.InvariantCulture) :
        Math.Abs(value) >= 1 ? value.ToString("F2", CultureInfo.InvariantCulture) :
        value.ToString("G3", CultureInfo.InvariantCulture);

    public static string Megabytes(long? bytes) => bytes is null ? "-" : Format(bytes.Value / 1e6);
}
