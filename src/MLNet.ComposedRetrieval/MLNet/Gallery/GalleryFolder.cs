using System.Text.Json;
using MLNet.ComposedRetrieval.Data;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// A gallery given as a folder of image files: every image file under it (subfolders included), its id the file name
/// without extension, optionally restricted to the ids of a split file. Ids listed by the split without a file are
/// reported in <see cref="MissingImageIds"/>, never dropped silently. Used with
/// <see cref="ComposeImageTextTransformer.CreateSearchEngine(GalleryFolder, string, string, GalleryPrecision, IProgress{WorkProgress}?, CancellationToken)"/>,
/// which embeds such a gallery once per model and keeps the embeddings on disk.
/// </summary>
public sealed class GalleryFolder
{
    /// <summary>The file extensions taken as images.</summary>
    public static IReadOnlyList<string> ImageExtensions { get; } = [".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"];

    private readonly Dictionary<string, string> _files;
    private readonly HashSet<string> _gallery;

    private GalleryFolder(string root, Dictionary<string, string> files, IReadOnlyList<string> ids, IReadOnlyList<MissingImage> missing)
    {
        Root = root;
        _files = files;
        Ids = ids;
        _gallery = ids.ToHashSet(StringComparer.Ordinal);
        MissingImages = missing;
    }

    /// <summary>The folder (absolute).</summary>
    public string Root { get; }

    /// <summary>The gallery's image ids, in file-name order (or split order with a split file).</summary>
    public IReadOnlyList<string> Ids { get; }

    /// <summary>Ids the split file lists that have no image file in the folder.</summary>
    public IReadOnlyList<string> MissingImageIds => MissingImages.Select(m => m.ImageId).ToList();

    /// <summary>The ids of <see cref="MissingImageIds"/> with where they were looked for.</summary>
    internal IReadOnlyList<MissingImage> MissingImages { get; }

    /// <summary>Where image ids are looked up, for missing-image reports.</summary>
    internal ImageLocator Locator => new(Root, ImageLocator.IdPlaceholder + ".*", searchSubfolders: true);

    /// <summary>Lists the images of <paramref name="folder"/>, restricted to the ids in <paramref name="splitFile"/> if given.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">Two files share an id, the folder holds no image, the split file is unreadable,
    /// or it lists none of the folder's images.</exception>
    public static GalleryFolder Open(string folder, string? splitFile = null)
    {
        var root = Path.GetFullPath(folder);
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"Gallery folder '{root}' does not exist.");
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (!IsImage(file)) continue;
            var id = Path.GetFileNameWithoutExtension(file);
            if (!files.TryAdd(id, file))
                throw new InvalidDataException($"Gallery folder '{root}' holds two images with id '{id}': '{files[id]}' and '{file}'. Ids must be unique.");
        }
        if (files.Count == 0)
            throw new InvalidDataException($"Gallery folder '{root}' holds no image file ({string.Join(", ", ImageExtensions)}).");
        if (splitFile is null) return new GalleryFolder(root, files, files.Keys.ToList(), []);

        var ids = new List<string>();
        var missing = new List<MissingImage>();
        foreach (var id in ReadSplit(splitFile))
        {
            if (files.ContainsKey(id)) ids.Add(id);
            else missing.Add(new MissingImage(id, Path.Combine(root, id + ".*"), "missing (listed by the split file)"));
        }
        if (ids.Count == 0)
            throw new InvalidDataException($"Split file '{Path.GetFullPath(splitFile)}' lists none of the {files.Count} images in gallery folder '{root}' " +
                $"(it lists {missing.Count} ids, e.g. '{missing[0].ImageId}'): the gallery would be empty.");
        return new GalleryFolder(root, files, ids, missing);
    }

    /// <summary>The image ids of a split file: a JSON array of strings (FashionIQ's image_splits), or one id per line
    /// (a header line <c>image_id</c> is skipped); an image extension on an id is removed. Distinct, in file order.</summary>
    public static IReadOnlyList<string> ReadSplit(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Split file '{path}' does not exist.", path);
        var text = File.ReadAllText(path);
        IEnumerable<string> entries;
        if (text.TrimStart().StartsWith('['))
        {
            try
            {
                entries = JsonSerializer.Deserialize<string[]>(text) ?? [];
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"Split file '{path}' starts like a JSON array but is not an array of strings: {e.Message}", e);
            }
        }
        else
        {
            entries = text.Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0 && line != "image_id");
        }
        var ids = entries.Select(IdOf).Distinct(StringComparer.Ordinal).ToList();
        if (ids.Count == 0) throw new InvalidDataException($"Split file '{path}' lists no image id.");
        return ids;
    }

    /// <summary>The gallery id of an image name or path as annotations write it: its file name without an image extension.</summary>
    public static string IdOf(string imageName)
    {
        var name = Path.GetFileName(imageName.Trim());
        return IsImage(name) ? Path.GetFileNameWithoutExtension(name) : name;
    }

    /// <summary>Whether the gallery holds image <paramref name="id"/>.</summary>
    public bool Contains(string id) => _gallery.Contains(id);

    /// <summary>The file of a gallery image.</summary>
    public string PathOf(string id) => _files[id];

    /// <summary>The file of any image in the folder with id <paramref name="id"/>, in the split or not (reference images).</summary>
    public bool TryFindFile(string id, out string path) => _files.TryGetValue(id, out path!);

    private static bool IsImage(string path) => ImageExtensions.Contains(Path.GetExtension(path).ToLowerInvariant());
}
