namespace MLNet.ComposedRetrieval.Reporting;

/// <summary>Greedy word wrapping against a measured width (for captions drawn into charts and grids).</summary>
public static class TextWrapping
{
    private const string Ellipsis = "…";

    /// <summary>
    /// Splits <paramref name="text"/> into lines no wider than <paramref name="maxWidth"/> by
    /// <paramref name="measure"/>: words are kept whole where they fit, a word wider than a line is broken between
    /// characters, and runs of white space (line breaks included) count as one space. With
    /// <paramref name="maxLines"/>, the text is cut there and the last line ends in "…".
    /// </summary>
    public static IReadOnlyList<string> Wrap(string text, float maxWidth, Func<string, float> measure, int maxLines = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLines);
        var lines = new List<string>();
        var line = "";
        foreach (var word in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            var joined = line.Length == 0 ? word : line + " " + word;
            if (measure(joined) <= maxWidth)
            {
                line = joined;
                continue;
            }
            if (line.Length > 0) lines.Add(line);
            line = word;
            while (measure(line) > maxWidth && line.Length > 1)
            {
                int fits = LongestFittingPrefix(line, maxWidth, measure);
                lines.Add(line[..fits]);
                line = line[fits..];
            }
        }
        if (line.Length > 0) lines.Add(line);
        return lines.Count <= maxLines ? lines : Truncate(lines, maxLines, maxWidth, measure);
    }

    private static int LongestFittingPrefix(string word, float maxWidth, Func<string, float> measure)
    {
        int fits = 1; // at least one character per line, however narrow the column
        while (fits < word.Length && measure(word[..(fits + 1)]) <= maxWidth) fits++;
        return fits;
    }

    private static List<string> Truncate(List<string> lines, int maxLines, float maxWidth, Func<string, float> measure)
    {
        var kept = lines.Take(maxLines).ToList();
        var last = kept[^1];
        // Drop whole words first, so the cut reads "three…" rather than "three fo…".
        while (last.Length > 0 && measure(last + Ellipsis) > maxWidth)
            last = last.Contains(' ') ? last[..last.LastIndexOf(' ')] : last[..^1];
        kept[^1] = last.TrimEnd() + Ellipsis;
        return kept;
    }
}
