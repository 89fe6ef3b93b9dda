namespace MLNet.ComposedRetrieval.Data;

/// <summary>
/// Reads the FashionIQ annotations: <c>captions/cap.{category}.{split}.json</c> (a list of
/// <c>{target, candidate, captions: [c1, c2]}</c>; test entries have no target) and
/// <c>image_splits/split.{category}.{split}.json</c> (ASIN lists). Following the paper's code, each pair gives two
/// examples, one per caption order ("c1 and c2", "c2 and c1"), both for training and for evaluation; the
/// evaluation gallery is the unique reference and target ASINs of the category's val pairs (datasets/README.md).
/// </summary>
internal static class FashionIqReader
{
    /// <summary>The categories in their usual reporting order.</summary>
    public static IReadOnlyList<FashionIqCategory> Categories { get; } =
        [FashionIqCategory.Dress, FashionIqCategory.Shirt, FashionIqCategory.TopTee];

    /// <summary>The split names of the annotation files.</summary>
    public static IReadOnlyList<string> Splits { get; } = ["train", "val", "test"];

    /// <summary>The category's name in file names ("dress", "shirt", "toptee").</summary>
    public static string FileName(FashionIqCategory category) => category switch
    {
        FashionIqCategory.Dress => "dress",
        FashionIqCategory.Shirt => "shirt",
        FashionIqCategory.TopTee => "toptee",
        _ => throw new ArgumentOutOfRangeException(nameof(category), category, "Unknown FashionIQ category."),
    };

    /// <summary>
    /// One category's dataset: training triplets from the train pairs, evaluation queries from the val pairs (two
    /// per pair, each with its single target), and the val gallery.
    /// </summary>
    /// <param name="root">The annotation folder (holding <c>captions/</c> and <c>image_splits/</c>).</param>
    /// <param name="category">The category.</param>
    /// <param name="options">Image location and protocol choices; null for the defaults.</param>
    public static CompositionDataset Load(string root, FashionIqCategory category, FashionIqOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        options ??= new FashionIqOptions();

        var triplets = new List<CompositionTriplet>();
        foreach (var pair in ReadPairs(root, category, "train"))
        {
            foreach (var text in Texts(pair, options))
                triplets.Add(new CompositionTriplet(pair.CandidateId, text, pair.TargetId!));
        }

        var valPairs = ReadPairs(root, category, "val");
        var queries = new List<CompositionQuery>();
        foreach (var pair in valPairs)
        {
            foreach (var text in Texts(pair, options))
                queries.Add(new CompositionQuery(pair.CandidateId, text, pair.TargetId!));
        }

        var gallery = options.GalleryFromImageSplit
            ? ReadImageSplit(root, category, "val")
            : valPairs.SelectMany(p => new[] { p.CandidateId, p.TargetId! }).Distinct(StringComparer.Ordinal).ToArray();

        var images = new ImageLocator(options.ImageRoot ?? root, options.ImagePattern, options.SearchImageSubfolders);
        return new CompositionDataset($"FashionIQ {FileName(category)}", triplets, queries, gallery, images);
    }

    /// <summary>The pairs of <c>captions/cap.{category}.{split}.json</c>; targets are required except in the test split.</summary>
    public static IReadOnlyList<FashionIqPair> ReadPairs(string root, FashionIqCategory category, string split)
    {
        CheckSplit(split);
        var path = Path.Combine(root, "captions", $"cap.{FileName(category)}.{split}.json");
        var targetRequired = split != "test";
        var pairs = new List<FashionIqPair>();
        foreach (var entry in JsonAnnotationFile.ReadArray(path))
        {
            var candidate = entry.RequiredString("candidate");
            var target = targetRequired ? entry.RequiredString("target") : entry.OptionalString("target");
            var captions = entry.RequiredStringArray("captions");
            if (captions.Count != 2)
                throw entry.Error($"expected \"captions\" to hold 2 captions, found {captions.Count}.");
            pairs.Add(new FashionIqPair(candidate, target, captions[0].Trim(), captions[1].Trim()));
        }
        return pairs;
    }

    /// <summary>The ASINs of <c>image_splits/split.{category}.{split}.json</c>.</summary>
    public static IReadOnlyList<string> ReadImageSplit(string root, FashionIqCategory category, string split)
    {
        CheckSplit(split);
        var path = Path.Combine(root, "image_splits", $"split.{FileName(category)}.{split}.json");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var ids = new List<string>();
        foreach (var entry in JsonAnnotationFile.ReadArray(path))
        {
            var id = entry.AsString();
            if (!seen.Add(id)) throw entry.Error($"the ASIN '{id}' is listed twice.");
            ids.Add(id);
        }
        return ids;
    }

    private static IEnumerable<string> Texts(FashionIqPair pair, FashionIqOptions options)
    {
        var (first, second) = pair.ModificationTexts();
        yield return options.SpellOutPunctuation ? TirgCaptionText.PostProcess(first) : first;
        yield return options.SpellOutPunctuation ? TirgCaptionText.PostProcess(second) : second;
    }

    private static void CheckSplit(string split)
    {
        if (!Splits.Contains(split))
            throw new ArgumentException($"Unknown FashionIQ split '{split}'; expected one of {string.Join(", ", Splits)}.", nameof(split));
    }
}
