namespace MLNet.ComposedRetrieval.Data;

/// <summary>An image a dataset names but whose file cannot be used.</summary>
/// <param name="ImageId">The image's id in the annotations.</param>
/// <param name="Path">The file the id resolved to.</param>
/// <param name="Reason">"missing", "a folder, not a file", "empty file", or "unreadable: " and the system's message.</param>
internal sealed record MissingImage(string ImageId, string Path, string Reason);
