namespace MLNet.ComposedRetrieval.Data;

/// <summary>
/// Reads the Shoes relative captions (Guo et al., NeurIPS 2018): <c>relative_captions_shoes.json</c> (a list of
/// <c>{ImageName (target), ReferenceImageName, RelativeCaption}</c>) and the image lists
/// <c>train_im_names.txt</c> / <c>eval_im_names.txt</c>. A triplet belongs to the split whose list holds both its
/// images (8,990 train, 1,761 test); the caption alone is the modification text. The gallery is every eval image
/// plus any test-triplet image not among them (the paper's code), and the reference is excluded at ranking time.
/// </summary>
internal static class ShoesReader
{
    /// <summary>The relative-caption file.</summary>
    public const string CaptionsFile = "relative_captions_shoes.json";

    /// <summary>The training image list.</summary>
    public const string TrainImagesFile = "train_im_names.txt";

    /// <summary>The evaluation image list.</summary>
    public const string EvalImagesFile = "eval_im_names.txt";

    /// <summary>Reads the dataset in <paramref name="root"/>.</summary>
    /// <exception cref="AnnotationFormatException">A triplet's images are not both in one list.</exception>
    public static CompositionDataset Load(string root, ShoesOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        options ??= new ShoesOptions();
        var train = ReadImageNames(Path.Combine(root, TrainImagesFile)).ToHashSet(StringComparer.Ordinal);
        var evalNames = ReadImageNames(Path.Combine(root, EvalImagesFile));
        var eval = evalNames.ToHashSet(StringComparer.Ordinal);
        var path = Path.Combine(root, CaptionsFile);
        var overlap = train.FirstOrDefault(eval.Contains);
        if (overlap is not null)
            throw new InvalidDataException($"{TrainImagesFile} and {EvalImagesFile} in {root} both list '{overlap}'; the splits must be disjoint.");

        var triplets = new List<CompositionTriplet>();
        var queries = new List<CompositionQuery>();
        var gallery = new List<string>(evalNames);
        var inGallery = new HashSet<string>(eval, StringComparer.Ordinal);
        foreach (var (entry, triplet) in ReadRelativeCaptionEntries(path))
        {
            string Where(string image) => train.Contains(image) ? TrainImagesFile : eval.Contains(image) ? EvalImagesFile : "neither list";
            if (train.Contains(triplet.ReferenceImageId) && train.Contains(triplet.TargetImageId))
            {
                triplets.Add(triplet);
            }
            else if (eval.Contains(triplet.ReferenceImageId) && eval.Contains(triplet.TargetImageId))
            {
                queries.Add(new CompositionQuery(triplet.ReferenceImageId, triplet.ModificationText, triplet.TargetImageId));
                foreach (var image in new[] { triplet.ReferenceImageId, triplet.TargetImageId })
                {
                    if (inGallery.Add(image)) gallery.Add(image);
                }
            }
            else
            {
                throw entry.Error(
                    $"expected both images in the same split list, found reference '{triplet.ReferenceImageId}' in {Where(triplet.ReferenceImageId)} " +
                    $"and target '{triplet.TargetImageId}' in {Where(triplet.TargetImageId)}.");
            }
        }

        var images = new ImageLocator(options.ImageRoot ?? root, options.ImagePattern, options.SearchImageSubfolders);
        return new CompositionDataset("Shoes", triplets, queries, gallery, images);
    }

    /// <summary>Every triplet of a relative-caption file, in file order (caption trimmed).</summary>
    public static IReadOnlyList<CompositionTriplet> ReadRelativeCaptions(string path) =>
        ReadRelativeCaptionEntries(path).Select(e => e.Triplet).ToArray();

    /// <summary>The image names of a list file, one per line (blank lines skipped, a repeated name is an error).</summary>
    public static IReadOnlyList<string> ReadImageNames(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Image list not found: {path}", path);
        var names = new List<string>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            var name = line.Trim();
            if (name.Length == 0) continue;
            if (name.Any(char.IsWhiteSpace))
                throw new AnnotationFormatException(path, lineNumber, $"expected one image name per line, found \"{line}\".");
            if (!seen.TryAdd(name, lineNumber))
                throw new AnnotationFormatException(path, lineNumber, $"the image '{name}' is already listed on line {seen[name]}.");
            names.Add(name);
        }
        return names;
    }

    private static IEnumerable<(JsonAnnotationEntry Entry, CompositionTriplet Triplet)> ReadRelativeCaptionEntries(string path) =>
        JsonAnnotationFile.ReadArray(path).Select(entry => (entry, new CompositionTriplet(
            entry.RequiredString("ReferenceImageName"),
            entry.RequiredString("RelativeCaption").Trim(),
            entry.RequiredString("ImageName"))));
}
