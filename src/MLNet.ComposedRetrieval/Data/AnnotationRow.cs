namespace MLNet.ComposedRetrieval.Data;

/// <summary>One data line of an annotation table, with what is needed to blame it in an error.</summary>
/// <param name="FilePath">The file the line comes from.</param>
/// <param name="LineNumber">The 1-based line number.</param>
/// <param name="Columns">The header's column names.</param>
/// <param name="Fields">The line's fields, one per column.</param>
internal readonly record struct AnnotationRow(string FilePath, int LineNumber, IReadOnlyList<string> Columns, string[] Fields)
{
    /// <summary>The field of <paramref name="column"/>, which must not be empty or blank.</summary>
    public string Required(int column)
    {
        var value = Fields[column];
        if (string.IsNullOrWhiteSpace(value))
            throw Error($"the column '{Columns[column]}' is empty.");
        return value;
    }

    /// <summary>An exception that blames this line.</summary>
    public AnnotationFormatException Error(string problem) => new(FilePath, LineNumber, problem);
}
