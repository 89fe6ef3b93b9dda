namespace MLNet.ComposedRetrieval.Data;

/// <summary>Thrown when a dataset needs image files that are missing or unreadable and the caller chose to fail.</summary>
internal sealed class MissingImagesException : IOException
{
    /// <summary>Creates the exception from its report.</summary>
    public MissingImagesException(MissingImagesReport report)
        : base(report.ToString() + " Add the files, fix the image root or pattern, or choose MissingImagePolicy.Drop.")
    {
        Report = report;
    }

    /// <summary>Which images are missing, with a few example paths.</summary>
    public MissingImagesReport Report { get; }
}
