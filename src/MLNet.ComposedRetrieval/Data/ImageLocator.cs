namespace MLNet.ComposedRetrieval.Data;

/// <summary>
/// Turns an image id into the path of its file: <see cref="Root"/> joined with <see cref="Pattern"/>, in which
/// <c>{id}</c> stands for the id (for example <c>images/{id}.jpg</c> for FashionIQ ASINs). With
/// <see cref="SearchSubfolders"/>, a file that is not at that place is looked up by its file name anywhere under
/// the root, for layouts that spread images over folders the annotations do not name (the Attribute Discovery
/// images of Shoes sit in <c>womens_*</c> folders). Resolving never checks that the file is readable:
/// <see cref="CompositionDataset.CheckImages"/> does, and reports what is missing.
/// </summary>
internal sealed class ImageLocator
{
    /// <summary>The placeholder that <see cref="Pattern"/> must contain.</summary>
    public const string IdPlaceholder = "{id}";

    private readonly Lazy<IReadOnlyDictionary<string, string>> _filesByName;

    /// <summary>Creates a locator.</summary>
    /// <param name="root">The folder image paths are relative to.</param>
    /// <param name="pattern">The path of an image relative to <paramref name="root"/>, with <c>{id}</c> for its id.</param>
    /// <param name="searchSubfolders">Also look an image up by file name in every folder under <paramref name="root"/>.</param>
    public ImageLocator(string root, string pattern = IdPlaceholder, bool searchSubfolders = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        if (!pattern.Contains(IdPlaceholder, StringComparison.Ordinal))
            throw new ArgumentException($"The image path pattern '{pattern}' does not contain the placeholder {IdPlaceholder}.", nameof(pattern));
        Root = Path.GetFullPath(root);
        Pattern = pattern;
        SearchSubfolders = searchSubfolders;
        _filesByName = new Lazy<IReadOnlyDictionary<string, string>>(IndexFilesByName);
    }

    /// <summary>The folder image paths are relative to (absolute).</summary>
    public string Root { get; }

    /// <summary>The path of an image relative to <see cref="Root"/>, with <c>{id}</c> for its id.</summary>
    public string Pattern { get; }

    /// <summary>Whether an image not found at its pattern path is looked up by file name under <see cref="Root"/>.</summary>
    public bool SearchSubfolders { get; }

    /// <summary>The file that holds image <paramref name="imageId"/> (it may not exist).</summary>
    public string Resolve(string imageId)
    {
        ArgumentException.ThrowIfNullOrEmpty(imageId);
        var path = Path.GetFullPath(Path.Combine(Root, Pattern.Replace(IdPlaceholder, imageId, StringComparison.Ordinal)));
        if (!SearchSubfolders || File.Exists(path)) return path;
        return _filesByName.Value.TryGetValue(Path.GetFileName(path), out var found) ? found : path;
    }

    /// <inheritdoc />
    public override string ToString() =>
        Path.Combine(Root, Pattern) + (SearchSubfolders ? " (or by file name in any subfolder)" : "");

    private IReadOnlyDictionary<string, string> IndexFilesByName()
    {
        var index = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!Directory.Exists(Root)) return index;
        // Sorted so that, if one file name occurs in two folders, the same one wins on every machine.
        var files = Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal);
        foreach (var file in files) index.TryAdd(Path.GetFileName(file), file);
        return index;
    }
}
