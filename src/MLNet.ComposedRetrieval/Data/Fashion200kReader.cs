using System.Globalization;

namespace MLNet.ComposedRetrieval.Data;

/// <summary>
/// Reads Fashion200k in TIRG's layout: <c>labels/&lt;category&gt;_&lt;split&gt;_detect_all.txt</c> files whose lines
/// are <c>path &lt;TAB&gt; detection score &lt;TAB&gt; caption</c>, and <c>test_queries.txt</c> (lines
/// <c>source-path target-path</c>). Query texts are TIRG's "replace &lt;word&gt; with &lt;word&gt;" between two
/// captions that differ in one word. Evaluation as in TIRG and the paper's code: the gallery is every test image,
/// and a query's correct answers are all test images whose caption is the target's caption. Training triplets are
/// sampled as the paper's code does once per run (<c>generate_random_train_queries_</c>), here under a seed.
/// </summary>
internal static class Fashion200kReader
{
    /// <summary>The folder of label files under the root.</summary>
    public const string LabelFolder = "labels";

    /// <summary>The test query file under the root.</summary>
    public const string TestQueriesFile = "test_queries.txt";

    /// <summary>Reads the dataset in <paramref name="root"/>.</summary>
    public static CompositionDataset Load(string root, Fashion200kOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        options ??= new Fashion200kOptions();
        var train = ReadLabels(root, "train");
        var test = ReadLabels(root, "test");
        var triplets = SampleTrainingTriplets(train, options.ModificationsPerImage, options.Seed);
        var gallery = DistinctImages(test);
        var queries = ReadTestQueries(Path.Combine(root, TestQueriesFile), gallery);
        var images = new ImageLocator(options.ImageRoot ?? root);
        return new CompositionDataset("Fashion200k", triplets, queries, gallery.Select(i => i.FilePath).ToArray(), images);
    }

    /// <summary>The images of every <c>labels/*_{split}_*.txt</c> file, files in ordinal name order.</summary>
    public static IReadOnlyList<Fashion200kImage> ReadLabels(string root, string split)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentException.ThrowIfNullOrEmpty(split);
        var folder = Path.Combine(root, LabelFolder);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Fashion200k label folder not found: {folder}");
        var files = Directory.GetFiles(folder, $"*_{split}_*.txt").Order(StringComparer.Ordinal).ToArray();
        if (files.Length == 0)
            throw new FileNotFoundException($"No Fashion200k label file for the split '{split}' (expected {folder}/<category>_{split}_detect_all.txt).");
        return files.SelectMany(ReadLabelFile).ToArray();
    }

    /// <summary>The images of one label file.</summary>
    public static IReadOnlyList<Fashion200kImage> ReadLabelFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Fashion200k label file not found: {path}", path);
        var images = new List<Fashion200kImage>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            // TIRG splits on tabs and reads fields 0 and 2; a fourth field is ignored there, and here.
            var fields = line.Split('\t');
            AnnotationFormatException Error(string problem) => new(path, lineNumber, problem);
            if (fields.Length < 3)
                throw Error($"expected 3 tab-separated fields (image path, detection score, caption), found {fields.Length}: \"{line}\".");
            if (string.IsNullOrWhiteSpace(fields[0]))
                throw Error("the image path is empty.");
            if (!double.TryParse(fields[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var score))
                throw Error($"expected a number as detection score, found \"{fields[1]}\".");
            var caption = TirgCaptionText.PostProcess(fields[2]);
            if (caption.Length == 0)
                throw Error("the caption is empty.");
            images.Add(new Fashion200kImage(fields[0].Trim(), score, caption));
        }
        return images;
    }

    /// <summary>
    /// The test queries: for each line, the reference, TIRG's modification text between the two captions, and
    /// every gallery image whose caption is the target's.
    /// </summary>
    /// <param name="path">The test query file.</param>
    /// <param name="testImages">The test split's images (distinct paths).</param>
    public static IReadOnlyList<CompositionQuery> ReadTestQueries(string path, IReadOnlyList<Fashion200kImage> testImages)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(testImages);
        if (!File.Exists(path)) throw new FileNotFoundException($"Fashion200k test query file not found: {path}", path);
        var byPath = testImages.ToDictionary(i => i.FilePath, StringComparer.Ordinal);
        var pathsByCaption = testImages.GroupBy(i => i.Caption, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(i => i.FilePath).ToArray(), StringComparer.Ordinal);

        var queries = new List<CompositionQuery>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var fields = TirgCaptionText.Words(line);
            if (fields.Length != 2)
                throw new AnnotationFormatException(path, lineNumber, $"expected 2 image paths (source and target) separated by white space, found {fields.Length}: \"{line}\".");
            var source = Lookup(fields[0]);
            var target = Lookup(fields[1]);
            var text = TirgCaptionText.ModificationText(source.Caption, target.Caption);
            queries.Add(new CompositionQuery(source.FilePath, text, pathsByCaption[target.Caption]));

            Fashion200kImage Lookup(string imagePath) => byPath.TryGetValue(imagePath, out var image)
                ? image
                : throw new AnnotationFormatException(path, lineNumber, $"the image '{imagePath}' is in no test label file.");
        }
        return queries;
    }

    /// <summary>
    /// Training triplets as the paper's code samples them: for each modifiable image, <paramref name="perImage"/>
    /// draws of <see cref="Fashion200kCaptionIndex.SampleTarget"/>; a draw is skipped when both captions have the
    /// same set of words or when the image pair (in either direction) was already taken; the result is shuffled.
    /// </summary>
    public static IReadOnlyList<CompositionTriplet> SampleTrainingTriplets(IReadOnlyList<Fashion200kImage> images, int perImage, int seed)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfNegative(perImage);
        var index = new Fashion200kCaptionIndex(images);
        var random = new Random(seed);
        var taken = new HashSet<(int, int)>();
        var triplets = new List<CompositionTriplet>();
        for (var source = 0; source < images.Count; source++)
        {
            if (!index.IsModifiable(source)) continue;
            for (var draw = 0; draw < perImage; draw++)
            {
                var target = index.SampleTarget(source, random);
                // The paper's code compares word sets split on single spaces.
                var sourceWords = images[source].Caption.Split(' ').ToHashSet(StringComparer.Ordinal);
                if (sourceWords.SetEquals(images[target].Caption.Split(' '))) continue;
                if (!taken.Add((Math.Min(source, target), Math.Max(source, target)))) continue;
                triplets.Add(new CompositionTriplet(
                    images[source].FilePath,
                    TirgCaptionText.ModificationText(images[source].Caption, images[target].Caption),
                    images[target].FilePath));
            }
        }
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(triplets));
        return triplets;
    }

    /// <summary>The images with repeated paths removed (first kept); a path listed with two captions is an error.</summary>
    public static IReadOnlyList<Fashion200kImage> DistinctImages(IReadOnlyList<Fashion200kImage> images)
    {
        var byPath = new Dictionary<string, Fashion200kImage>(StringComparer.Ordinal);
        var distinct = new List<Fashion200kImage>();
        foreach (var image in images)
        {
            if (byPath.TryGetValue(image.FilePath, out var earlier))
            {
                if (earlier.Caption != image.Caption)
                    throw new InvalidDataException($"Fashion200k lists '{image.FilePath}' twice with different captions: \"{earlier.Caption}\" and \"{image.Caption}\".");
                continue;
            }
            byPath[image.FilePath] = image;
            distinct.Add(image);
        }
        return distinct;
    }
}
