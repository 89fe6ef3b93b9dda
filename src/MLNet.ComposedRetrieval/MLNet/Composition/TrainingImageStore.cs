using MLNet.ComposedRetrieval.Data;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// The images of a training run by id, as the trainer asks for them. Images read as pixels (MLImage columns) are kept
/// decoded, under an id derived from their content, so an image met in several rows (or in the validation data) is
/// stored once; images read as paths are kept as their full path and decoded when asked for.
/// </summary>
internal sealed class TrainingImageStore
{
    private const int MissingShown = 10;
    private readonly Dictionary<string, RgbImage> _decoded = new(StringComparer.Ordinal);
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);
    private readonly List<string> _ids = [];
    private readonly List<string> _missing = [];

    /// <summary>Every id, in first-seen order.</summary>
    public IReadOnlyList<string> Ids => _ids;

    /// <summary>Stores the current row's image of <paramref name="reader"/> and returns its id.</summary>
    public string Add(ImageColumn.Reader reader) => reader.IsPath ? AddPath(reader.ReadPath()) : AddPixels(reader);

    /// <summary>Stores the current row's images of <paramref name="reader"/>: one image, or for a path column a list of
    /// paths separated by <paramref name="separator"/>; returns their ids.</summary>
    public IReadOnlyList<string> AddAll(ImageColumn.Reader reader, char separator) =>
        reader.IsPath ? reader.ReadPaths(separator).Select(AddPath).ToList() : [AddPixels(reader)];

    private string AddPath(string file)
    {
        var path = Path.GetFullPath(file);
        if (_known.Add(path))
        {
            _ids.Add(path);
            if (!File.Exists(path)) _missing.Add(path);
        }
        return path;
    }

    private string AddPixels(ImageColumn.Reader reader)
    {
        var image = reader.Read();
        var id = ImageColumn.ContentId(image);
        if (_known.Add(id))
        {
            _ids.Add(id);
            _decoded[id] = image;
        }
        return id;
    }

    /// <summary>The decoded image of <paramref name="id"/>.</summary>
    public RgbImage Get(string id) => _decoded.TryGetValue(id, out var image) ? image : ImageDecoder.Decode(id);

    /// <summary>Throws if any image path read so far names no file, listing the first few.</summary>
    /// <exception cref="FileNotFoundException">Names the missing files and how many there are.</exception>
    public void ThrowIfMissing()
    {
        if (_missing.Count == 0) return;
        throw new FileNotFoundException(
            $"{_missing.Count} image file(s) named by the training data do not exist: " +
            string.Join(", ", _missing.Take(MissingShown).Select(p => $"'{p}'")) +
            (_missing.Count > MissingShown ? ", ..." : "") + ". Check the image folder option and the paths.", _missing[0]);
    }
}
