namespace MLNet.ComposedRetrieval.Data;

/// <summary>
/// An annotation file does not have the expected layout. The message names the file, the line (1-based) and
/// what was expected versus found.
/// </summary>
internal sealed class AnnotationFormatException : FormatException
{
    /// <summary>Creates the exception for a problem at <paramref name="lineNumber"/> of <paramref name="filePath"/>.</summary>
    public AnnotationFormatException(string filePath, int lineNumber, string problem, Exception? inner = null)
        : base($"{filePath}, line {lineNumber}: {problem}", inner)
    {
        FilePath = filePath;
        LineNumber = lineNumber;
        Problem = problem;
    }

    /// <summary>The file with the problem.</summary>
    public string FilePath { get; }

    /// <summary>The 1-based line of the problem.</summary>
    public int LineNumber { get; }

    /// <summary>What was expected and what was found.</summary>
    public string Problem { get; }
}
