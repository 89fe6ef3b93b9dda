namespace MLNet.ComposedRetrieval.Data;

/// <summary>
/// Everything a composed-retrieval benchmark provides, read from its annotation files: training triplets,
/// evaluation queries, the gallery the queries are ranked against, and where image files live. Holds image ids
/// and paths only; decoding is the image pipeline's job. Every query target is a gallery image.
/// </summary>
internal sealed class CompositionDataset
{
    /// <summary>Creates a dataset; throws if the gallery repeats an image or misses a query target.</summary>
    /// <param name="name">A name for messages, for example "FashionIQ dress".</param>
    /// <param name="trainTriplets">Training examples.</param>
    /// <param name="evalQueries">Evaluation queries.</param>
    /// <param name="galleryImageIds">The images each query is ranked against (distinct).</param>
    /// <param name="images">Resolves an image id to its file.</param>
    public CompositionDataset(
        string name,
        IReadOnlyList<CompositionTriplet> trainTriplets,
        IReadOnlyList<CompositionQuery> evalQueries,
        IReadOnlyList<string> galleryImageIds,
        ImageLocator images)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(trainTriplets);
        ArgumentNullException.ThrowIfNull(evalQueries);
        ArgumentNullException.ThrowIfNull(galleryImageIds);
        ArgumentNullException.ThrowIfNull(images);

        var gallery = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in galleryImageIds)
        {
            if (!gallery.Add(id))
                throw new ArgumentException($"{name}: the gallery lists image '{id}' twice.", nameof(galleryImageIds));
        }
        foreach (var query in evalQueries)
        {
            // A target outside the gallery can never be retrieved and would silently lower Recall@K.
            var absent = query.TargetImageIds.FirstOrDefault(t => !gallery.Contains(t));
            if (absent is not null)
                throw new ArgumentException($"{name}: the target '{absent}' of query {query} is not in the gallery.", nameof(evalQueries));
        }

        Name = name;
        TrainTriplets = trainTriplets.ToArray();
        EvalQueries = evalQueries.ToArray();
        GalleryImageIds = galleryImageIds.ToArray();
        Images = images;
    }

    /// <summary>A name for messages.</summary>
    public string Name { get; }

    /// <summary>Training examples.</summary>
    public IReadOnlyList<CompositionTriplet> TrainTriplets { get; }

    /// <summary>Evaluation queries; each target is in <see cref="GalleryImageIds"/>.</summary>
    public IReadOnlyList<CompositionQuery> EvalQueries { get; }

    /// <summary>The images every query is ranked against, distinct, in a fixed order.</summary>
    public IReadOnlyList<string> GalleryImageIds { get; }

    /// <summary>Resolves an image id to its file.</summary>
    public ImageLocator Images { get; }

    /// <summary>The file of image <paramref name="imageId"/>.</summary>
    public string ResolveImage(string imageId) => Images.Resolve(imageId);

    /// <summary>Every distinct image the dataset names, in the order triplets, queries and gallery first name them.</summary>
    public IReadOnlyList<string> AllImageIds()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var ids = new List<string>();
        void Add(string id)
        {
            if (seen.Add(id)) ids.Add(id);
        }
        foreach (var t in TrainTriplets)
        {
            Add(t.ReferenceImageId);
            Add(t.TargetImageId);
        }
        foreach (var q in EvalQueries)
        {
            Add(q.ReferenceImageId);
            foreach (var target in q.TargetImageIds) Add(target);
        }
        foreach (var g in GalleryImageIds) Add(g);
        return ids;
    }

    /// <summary>Checks that every image the dataset names has a readable, non-empty file.</summary>
    /// <param name="maxExamples">How many missing images the report quotes in its message.</param>
    public MissingImagesReport CheckImages(int maxExamples = 5)
    {
        var ids = AllImageIds();
        var missing = new List<MissingImage>();
        foreach (var id in ids)
        {
            var path = Images.Resolve(id);
            var problem = FileProblem(path);
            if (problem is not null) missing.Add(new MissingImage(id, path, problem));
        }
        return new MissingImagesReport(Name, Images, ids.Count, missing, maxExamples);
    }

    /// <summary>
    /// Checks the image files and applies <paramref name="policy"/>: with <see cref="MissingImagePolicy.Fail"/>
    /// throws a <see cref="MissingImagesException"/> if any is missing; with <see cref="MissingImagePolicy.Drop"/>
    /// returns the dataset without what needs them (the report counts what was dropped). Returns this dataset
    /// when nothing is missing. <paramref name="remedy"/> replaces the exception's advice (a command line names its flag).
    /// </summary>
    public CompositionDataset EnsureImages(MissingImagePolicy policy, out MissingImagesReport report, int maxExamples = 5, string? remedy = null)
    {
        report = CheckImages(maxExamples);
        if (!report.HasMissing) return this;
        if (policy == MissingImagePolicy.Fail) throw new MissingImagesException(report, remedy);

        var missing = report.MissingImages.Select(m => m.ImageId).ToHashSet(StringComparer.Ordinal);
        var triplets = TrainTriplets
            .Where(t => !missing.Contains(t.ReferenceImageId) && !missing.Contains(t.TargetImageId))
            .ToArray();
        var queries = new List<CompositionQuery>();
        var droppedTargets = 0;
        foreach (var query in EvalQueries)
        {
            if (missing.Contains(query.ReferenceImageId)) continue;
            var targets = query.TargetImageIds.Where(t => !missing.Contains(t)).ToArray();
            if (targets.Length == 0) continue;
            droppedTargets += query.TargetImageIds.Count - targets.Length;
            queries.Add(targets.Length == query.TargetImageIds.Count
                ? query
                : new CompositionQuery(query.ReferenceImageId, query.ModificationText, targets));
        }
        var gallery = GalleryImageIds.Where(g => !missing.Contains(g)).ToArray();

        report = new MissingImagesReport(Name, Images, report.CheckedImageCount, report.MissingImages, maxExamples)
        {
            DroppedTriplets = TrainTriplets.Count - triplets.Length,
            DroppedQueries = EvalQueries.Count - queries.Count,
            DroppedQueryTargets = droppedTargets,
            DroppedGalleryImages = GalleryImageIds.Count - gallery.Length,
        };
        return new CompositionDataset(Name, triplets, queries, gallery, Images);
    }

    /// <summary>Why <paramref name="path"/> cannot serve as an image file, or null if it can.</summary>
    private static string? FileProblem(string path)
    {
        // File.Exists first: most problems are absent files, and exceptions are slow for thousands of them.
        if (!File.Exists(path)) return Directory.Exists(path) ? "a folder, not a file" : "missing";
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
            return stream.Length == 0 ? "empty file" : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "unreadable: " + e.Message;
        }
    }

    /// <summary>
    /// A smaller copy for smoke tests and quick looks, deterministic under <paramref name="seed"/>: at most
    /// <paramref name="maxTrainTriplets"/> triplets and <paramref name="maxQueries"/> queries, and a gallery cut to
    /// <paramref name="maxGallery"/> images that still holds every kept query's reference and targets. A cut
    /// gallery makes recall figures incomparable with the full protocol; the name says so.
    /// </summary>
    public CompositionDataset Subset(int? maxTrainTriplets, int? maxQueries, int? maxGallery, int seed = 0)
    {
        var random = new Random(seed);
        var triplets = Sample(TrainTriplets, maxTrainTriplets, random);
        var queries = Sample(EvalQueries, maxQueries, random);
        var gallery = GalleryImageIds;
        if (maxGallery is int limit && limit < gallery.Count)
        {
            var needed = queries.SelectMany(q => q.TargetImageIds.Append(q.ReferenceImageId)).ToHashSet(StringComparer.Ordinal);
            var others = Sample(gallery.Where(id => !needed.Contains(id)).ToList(), Math.Max(0, limit - needed.Count), random)
                .ToHashSet(StringComparer.Ordinal);
            gallery = gallery.Where(id => needed.Contains(id) || others.Contains(id)).ToList();
        }
        var name = gallery.Count < GalleryImageIds.Count ? $"{Name} (subset, gallery {gallery.Count})" : $"{Name} (subset)";
        return new CompositionDataset(name, triplets, queries, gallery, Images);
    }

    /// <summary>At most <paramref name="count"/> of <paramref name="items"/>, drawn with <paramref name="random"/>, in their
    /// original order (all of them when <paramref name="count"/> is null or not smaller).</summary>
    internal static List<T> Sample<T>(IReadOnlyList<T> items, int? count, Random random)
    {
        if (count is not int n || n >= items.Count) return items.ToList();
        var order = Enumerable.Range(0, items.Count).ToArray();
        random.Shuffle(order);
        return order.Take(n).Order().Select(i => items[i]).ToList();
    }
}
