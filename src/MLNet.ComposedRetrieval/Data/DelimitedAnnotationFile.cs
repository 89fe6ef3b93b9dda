namespace MLNet.ComposedRetrieval.Data;

/// <summary>
/// Reads annotation tables with a header line (TSV triplet and query files, split lists, <c>styles.csv</c>):
/// checks the header, gives each data line its fields and line number, and turns every layout problem into an
/// <see cref="AnnotationFormatException"/>. Blank lines are skipped; a byte-order mark and CR-LF line ends are accepted.
/// </summary>
internal static class DelimitedAnnotationFile
{
    /// <summary>The data lines of <paramref name="path"/>, after checking its header is exactly <paramref name="columns"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="separator">The field separator.</param>
    /// <param name="columns">The expected header, which also fixes the number of fields of every line.</param>
    /// <param name="lastColumnTakesRest">Split a line at most <c>columns.Count - 1</c> times, so the last field may
    /// itself hold the separator (the titles of <c>styles.csv</c>).</param>
    public static IEnumerable<AnnotationRow> ReadRows(
        string path, char separator, IReadOnlyList<string> columns, bool lastColumnTakesRest = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Annotation file not found: {path}", path);
        return Iterate();

        IEnumerable<AnnotationRow> Iterate()
        {
            var lineNumber = 0;
            var sawHeader = false;
            foreach (var line in File.ReadLines(path))
            {
                lineNumber++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                var fields = lastColumnTakesRest ? line.Split(separator, columns.Count) : line.Split(separator);
                if (!sawHeader)
                {
                    if (!fields.SequenceEqual(columns, StringComparer.Ordinal))
                    {
                        throw new AnnotationFormatException(path, lineNumber,
                            $"expected the header {Describe(columns, separator)}, found {Describe(fields, separator)}.");
                    }
                    sawHeader = true;
                    continue;
                }
                if (fields.Length != columns.Count)
                {
                    throw new AnnotationFormatException(path, lineNumber,
                        $"expected {columns.Count} fields separated by {Name(separator)} ({string.Join(", ", columns)}), " +
                        $"found {fields.Length}: \"{line}\".");
                }
                yield return new AnnotationRow(path, lineNumber, columns, fields);
            }
            if (!sawHeader)
                throw new AnnotationFormatException(path, Math.Max(lineNumber, 1), $"expected the header {Describe(columns, separator)}, found an empty file.");
        }
    }

    private static string Describe(IEnumerable<string> fields, char separator) =>
        "\"" + string.Join(separator == '\t' ? "<TAB>" : separator.ToString(), fields) + "\"";

    private static string Name(char separator) => separator == '\t' ? "tabs" : $"'{separator}'";
}
