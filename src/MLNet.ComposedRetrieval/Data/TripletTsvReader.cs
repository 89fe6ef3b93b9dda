namespace MLNet.ComposedRetrieval.Data;

/// <summary>
/// Reads the generic triplet/query TSV format (datasets/README.md, fashion-product-images), tab-separated with a
/// header line; image names are paths relative to the image folder:
/// <list type="bullet">
/// <item>triplets: <c>reference_image, modification_text, target_image</c>;</item>
/// <item>queries: <c>reference_image, modification_text, target_images</c>, the targets <c>;</c>-separated;</item>
/// <item>image lists (the splits): <c>image_id</c>.</item>
/// </list>
/// The evaluation protocol's gallery is every image of the split.
/// </summary>
internal static class TripletTsvReader
{
    /// <summary>The header of a triplet file.</summary>
    public static IReadOnlyList<string> TripletColumns { get; } = ["reference_image", "modification_text", "target_image"];

    /// <summary>The header of a query file.</summary>
    public static IReadOnlyList<string> QueryColumns { get; } = ["reference_image", "modification_text", "target_images"];

    /// <summary>The header of an image list.</summary>
    public static IReadOnlyList<string> ImageListColumns { get; } = ["image_id"];

    /// <summary>The separator of the targets in a query line.</summary>
    public const char TargetSeparator = ';';

    /// <summary>Reads a dataset folder: training triplets, evaluation queries, the gallery and the image folder.</summary>
    public static CompositionDataset Load(string folder, TripletTsvLayout? layout = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        layout ??= TripletTsvLayout.FashionProductImages;
        var gallery = ReadImageList(Path.Combine(folder, layout.GalleryFile), layout.GalleryImagePattern);
        var triplets = ReadTriplets(Path.Combine(folder, layout.TrainTripletsFile));
        var queries = ReadQueries(Path.Combine(folder, layout.QueriesFile), gallery.ToHashSet(StringComparer.Ordinal));
        return new CompositionDataset(layout.Name, triplets, queries, gallery, new ImageLocator(Path.Combine(folder, layout.ImageFolder)));
    }

    /// <summary>Reads a triplet file.</summary>
    public static IReadOnlyList<CompositionTriplet> ReadTriplets(string path) =>
        DelimitedAnnotationFile.ReadRows(path, '\t', TripletColumns)
            .Select(row => new CompositionTriplet(row.Required(0), row.Required(1), row.Required(2)))
            .ToArray();

    /// <summary>Reads a query file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="gallery">If given, every target must be one of these images (a line naming another one is an error).</param>
    public static IReadOnlyList<CompositionQuery> ReadQueries(string path, IReadOnlySet<string>? gallery = null)
    {
        var queries = new List<CompositionQuery>();
        foreach (var row in DelimitedAnnotationFile.ReadRows(path, '\t', QueryColumns))
        {
            var targets = row.Required(2).Split(TargetSeparator);
            if (targets.Any(string.IsNullOrWhiteSpace))
                throw row.Error($"expected image names separated by '{TargetSeparator}' in '{QueryColumns[2]}', found an empty one in \"{row.Fields[2]}\".");
            if (targets.Distinct(StringComparer.Ordinal).Count() != targets.Length)
                throw row.Error($"the target list \"{row.Fields[2]}\" names an image twice.");
            var outside = gallery is null ? null : targets.FirstOrDefault(t => !gallery.Contains(t));
            if (outside is not null)
                throw row.Error($"the target '{outside}' is not in the gallery (the split's image list), so it could never be retrieved.");
            queries.Add(new CompositionQuery(row.Required(0), row.Required(1), targets));
        }
        return queries;
    }

    /// <summary>Reads an image list; each id becomes an image name through <paramref name="imagePattern"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="imagePattern">For example <c>{id}.jpg</c>; <c>{id}</c> keeps ids as they are.</param>
    public static IReadOnlyList<string> ReadImageList(string path, string imagePattern = ImageLocator.IdPlaceholder)
    {
        if (!imagePattern.Contains(ImageLocator.IdPlaceholder, StringComparison.Ordinal))
            throw new ArgumentException($"The image pattern '{imagePattern}' does not contain {ImageLocator.IdPlaceholder}.", nameof(imagePattern));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var images = new List<string>();
        foreach (var row in DelimitedAnnotationFile.ReadRows(path, '\t', ImageListColumns))
        {
            var id = row.Required(0);
            if (!seen.Add(id)) throw row.Error($"the image id '{id}' is listed twice.");
            images.Add(imagePattern.Replace(ImageLocator.IdPlaceholder, id, StringComparison.Ordinal));
        }
        return images;
    }
}
