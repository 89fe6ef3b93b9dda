namespace MLNet.ComposedRetrieval.Data;

/// <summary>Thrown when a dataset needs image files that are missing or unreadable and the caller chose to fail.</summary>
internal sealed class MissingImagesException : IOException
{
    /// <summary>What to do, for callers of the library's API.</summary>
    public const string DefaultRemedy = "Add the files, fix the image root or pattern, or choose MissingImagePolicy.Drop.";

    /// <summary>Creates the exception from its report.</summary>
    /// <param name="report">What is missing.</param>
    /// <param name="remedy">What to do, in the caller's terms (a command line names its flag); <see cref="DefaultRemedy"/> when null.</param>
    public MissingImagesException(MissingImagesReport report, string? remedy = null)
        : base(report.ToString() + " " + (remedy ?? DefaultRemedy))
    {
        Report = report;
    }

    /// <summary>Which images are missing, with a few example paths.</summary>
    public MissingImagesReport Report { get; }
}
