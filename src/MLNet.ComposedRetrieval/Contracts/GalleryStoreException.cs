namespace MLNet.ComposedRetrieval;

/// <summary>
/// A gallery store operation failed; <see cref="Failure"/> says why and the message says what to do. The inner
/// exception is the database driver's.
/// </summary>
public sealed class GalleryStoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    public GalleryStoreException(GalleryStoreFailure failure, string message, Exception? innerException = null)
        : base(message, innerException) => Failure = failure;

    /// <summary>Why the operation failed.</summary>
    public GalleryStoreFailure Failure { get; }
}
