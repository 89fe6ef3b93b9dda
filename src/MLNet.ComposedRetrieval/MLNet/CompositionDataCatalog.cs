using Microsoft.ML;
using MLNet.ComposedRetrieval.Data;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// Loaders of composed-retrieval datasets for <c>mlContext.Data</c>. Every loader returns image paths (full paths) in
/// the columns <see cref="ComposeImageTextEstimator"/> reads by default: <c>ReferenceImage</c>, <c>ModificationText</c>,
/// <c>TargetImage</c> (for queries a ';'-separated list of targets, as <see cref="ComposeImageTextEstimator.Options.ValidationSet"/>
/// takes it), and <c>Image</c> for a gallery (<see cref="ComposeImageTextEstimator.Options.ValidationGalleryImageColumnName"/>).
/// Every image file is checked when loading.
/// </summary>
/// <remarks>
/// Errors: a missing annotation file or folder throws <see cref="FileNotFoundException"/> or
/// <see cref="DirectoryNotFoundException"/>; a malformed line an <see cref="InvalidDataException"/> naming the file and
/// line; missing image files an <see cref="IOException"/> that counts them and names the first few.
/// </remarks>
public static class CompositionDataCatalog
{
    /// <summary>The column of a gallery's image paths.</summary>
    public const string GalleryImageColumnName = "Image";

    /// <summary>
    /// Reads a triplet TSV with the header <c>reference_image</c>, <c>modification_text</c>, <c>target_image</c>.
    /// </summary>
    /// <param name="catalog">mlContext.Data.</param>
    /// <param name="path">The TSV file.</param>
    /// <param name="imageFolder">The folder image names are relative to; by default the file's folder.</param>
    public static IDataView LoadCompositionTriplets(this DataOperationsCatalog catalog, string path, string? imageFolder = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var triplets = TripletTsvReader.ReadTriplets(path);
        return Load(catalog, new CompositionDataset(path, triplets, [], [], Locator(path, imageFolder)), CompositionDataPart.Triplets);
    }

    /// <summary>
    /// Reads a query TSV with the header <c>reference_image</c>, <c>modification_text</c>, <c>target_images</c> (targets
    /// separated by ';'), as validation queries for <see cref="ComposeImageTextEstimator.Options.ValidationSet"/>.
    /// </summary>
    /// <param name="catalog">mlContext.Data.</param>
    /// <param name="path">The TSV file.</param>
    /// <param name="imageFolder">The folder image names are relative to; by default the file's folder.</param>
    /// <param name="checkImages">Check that every image file exists (the default); false to resolve the paths only, for
    /// images looked up elsewhere (for example in a <see cref="GalleryFolder"/>).</param>
    public static IDataView LoadCompositionQueries(this DataOperationsCatalog catalog, string path, string? imageFolder = null, bool checkImages = true)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var queries = TripletTsvReader.ReadQueries(path);
        var targets = queries.SelectMany(q => q.TargetImageIds).Distinct(StringComparer.Ordinal).ToList();
        return Load(catalog, new CompositionDataset(path, [], queries, targets, Locator(path, imageFolder)), CompositionDataPart.Queries, checkImages);
    }

    /// <summary>
    /// Reads a dataset folder in the triplet TSV layout (<c>triplets.train.tsv</c>, <c>queries.val.tsv</c>,
    /// <c>split.val.tsv</c>, <c>images/</c>: the Fashion Product Images benchmark's).
    /// </summary>
    /// <param name="catalog">mlContext.Data.</param>
    /// <param name="folder">The dataset folder.</param>
    /// <param name="part">Training triplets, evaluation queries or the evaluation gallery.</param>
    /// <param name="imageFolder">Where the images are, if not in the folder's <c>images/</c>.</param>
    public static IDataView LoadCompositionDataset(this DataOperationsCatalog catalog, string folder, CompositionDataPart part, string? imageFolder = null) =>
        Load(catalog, CompositionDatasets.Load(folder, DatasetFormat.TripletTsv, imageFolder), part);

    /// <summary>
    /// Reads a dataset folder in any supported layout, optionally as a seeded subset, and returns its training triplets,
    /// evaluation queries and gallery. The subset and the missing-image check are applied to the dataset as a whole, so
    /// the three parts agree (the cut gallery holds every kept query's images).
    /// </summary>
    /// <param name="catalog">mlContext.Data.</param>
    /// <param name="folder">The dataset folder.</param>
    /// <param name="options">Layout, subset and missing-image policy.</param>
    /// <exception cref="ArgumentException">An unknown format or FashionIQ category, or a negative subset size.</exception>
    public static CompositionDatasetViews LoadCompositionDataset(this DataOperationsCatalog catalog, string folder, CompositionDatasetOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        if (!Enum.TryParse<DatasetFormat>(options.Format, ignoreCase: true, out var format) || !Enum.IsDefined(format) || options.Format.Trim() is not [not (>= '0' and <= '9'), ..])
            throw new ArgumentException($"Unknown dataset format '{options.Format}': expected auto, triplettsv, fashioniq, shoes or fashion200k.", nameof(options));
        var category = ParseCategory(options.FashionIqCategory, nameof(options));
        foreach (var (size, name) in new[] { (options.MaxTriplets, nameof(options.MaxTriplets)), (options.MaxQueries, nameof(options.MaxQueries)), (options.MaxGallery, nameof(options.MaxGallery)) })
            if (size < 0) throw new ArgumentException($"{name} must not be negative, got {size}.", nameof(options));
        var dataset = CompositionDatasets.Load(folder, format, options.ImageFolder, category, options.Seed);
        if (options.MaxTriplets is not null || options.MaxQueries is not null || options.MaxGallery is not null)
            dataset = dataset.Subset(options.MaxTriplets, options.MaxQueries, options.MaxGallery, options.Seed);
        var imageCheck = $"{dataset.Name}: image files not checked.";
        if (options.CheckImages)
        {
            dataset = dataset.EnsureImages(options.DropMissingImages ? MissingImagePolicy.Drop : MissingImagePolicy.Fail, out var report,
                remedy: options.MissingImagesAdvice);
            imageCheck = report.ToString();
        }
        return new CompositionDatasetViews(dataset.Name, Load(catalog, dataset, CompositionDataPart.Triplets, options.CheckImages),
            Load(catalog, dataset, CompositionDataPart.Queries, options.CheckImages),
            Load(catalog, dataset, CompositionDataPart.Gallery, options.CheckImages), imageCheck);
    }

    /// <summary>Reads FashionIQ (<c>captions/cap.{category}.{split}.json</c>, <c>image_splits/</c>): training triplets
    /// from the train split, queries and gallery from the val split, with the paper's code's protocol (docs/method.md).</summary>
    /// <param name="catalog">mlContext.Data.</param>
    /// <param name="folder">The FashionIQ folder.</param>
    /// <param name="category"><c>dress</c>, <c>shirt</c> or <c>toptee</c>.</param>
    /// <param name="part">Training triplets, evaluation queries or the evaluation gallery.</param>
    /// <param name="imageFolder">Where <c>images/</c> is, if not in <paramref name="folder"/>.</param>
    /// <exception cref="ArgumentException">An unknown category.</exception>
    public static IDataView LoadFashionIq(this DataOperationsCatalog catalog, string folder, string category, CompositionDataPart part, string? imageFolder = null)
    {
        return Load(catalog, CompositionDatasets.Load(folder, DatasetFormat.FashionIq, imageFolder, ParseCategory(category, nameof(category))), part);
    }

    private static FashionIqCategory ParseCategory(string category, string parameter) =>
        Enum.TryParse<FashionIqCategory>(category, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)
            ? parsed
            : throw new ArgumentException($"Unknown FashionIQ category '{category}': expected dress, shirt or toptee.", parameter);

    /// <summary>Reads Shoes (<c>relative_captions_shoes.json</c> with its train and eval image lists).</summary>
    /// <param name="catalog">mlContext.Data.</param>
    /// <param name="folder">The Shoes folder.</param>
    /// <param name="part">Training triplets, evaluation queries or the evaluation gallery.</param>
    /// <param name="imageFolder">Where the images are (searched in subfolders), if not in <paramref name="folder"/>.</param>
    public static IDataView LoadShoes(this DataOperationsCatalog catalog, string folder, CompositionDataPart part, string? imageFolder = null) =>
        Load(catalog, CompositionDatasets.Load(folder, DatasetFormat.Shoes, imageFolder), part);

    /// <summary>Reads Fashion200k in TIRG's layout (<c>labels/*_detect_all.txt</c>, <c>test_queries.txt</c>); training
    /// triplets are sampled from the training labels as the paper's code does.</summary>
    /// <param name="catalog">mlContext.Data.</param>
    /// <param name="folder">The Fashion200k folder.</param>
    /// <param name="part">Training triplets, evaluation queries or the evaluation gallery.</param>
    /// <param name="imageFolder">The folder the label files' image paths are relative to, if not <paramref name="folder"/>.</param>
    /// <param name="seed">Seeds the sampling of training triplets.</param>
    public static IDataView LoadFashion200k(this DataOperationsCatalog catalog, string folder, CompositionDataPart part, string? imageFolder = null, int seed = 0) =>
        Load(catalog, CompositionDatasets.Load(folder, DatasetFormat.Fashion200k, imageFolder, seed: seed), part);

    private static ImageLocator Locator(string annotationFile, string? imageFolder) =>
        new(Path.GetFullPath(imageFolder ?? Path.GetDirectoryName(Path.GetFullPath(annotationFile)) ?? "."));

    /// <summary>The part asked for, as rows of full image paths, after checking the part's image files (unless told not to).</summary>
    private static IDataView Load(DataOperationsCatalog catalog, CompositionDataset dataset, CompositionDataPart part, bool checkImages = true)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var only = part switch
        {
            CompositionDataPart.Triplets => new CompositionDataset(dataset.Name, dataset.TrainTriplets, [], [], dataset.Images),
            CompositionDataPart.Queries => new CompositionDataset(dataset.Name, [], dataset.EvalQueries,
                dataset.EvalQueries.SelectMany(q => q.TargetImageIds).Distinct(StringComparer.Ordinal).ToList(), dataset.Images),
            CompositionDataPart.Gallery => new CompositionDataset(dataset.Name, [], [], dataset.GalleryImageIds, dataset.Images),
            _ => throw new ArgumentOutOfRangeException(nameof(part), part, "Unknown dataset part."),
        };
        if (checkImages) only.EnsureImages(MissingImagePolicy.Fail, out _);
        string Full(string id) => Path.GetFullPath(only.ResolveImage(id));
        return part switch
        {
            CompositionDataPart.Triplets => catalog.LoadFromEnumerable(only.TrainTriplets.Select(t => new TripletRow
            {
                ReferenceImage = Full(t.ReferenceImageId), ModificationText = t.ModificationText, TargetImage = Full(t.TargetImageId),
            }).ToList()),
            CompositionDataPart.Queries => catalog.LoadFromEnumerable(only.EvalQueries.Select(q => new TripletRow
            {
                ReferenceImage = Full(q.ReferenceImageId), ModificationText = q.ModificationText,
                TargetImage = string.Join(TripletTsvReader.TargetSeparator, q.TargetImageIds.Select(Full)),
            }).ToList()),
            _ => catalog.LoadFromEnumerable(only.GalleryImageIds.Select(id => new GalleryRow { Image = Full(id) }).ToList()),
        };
    }

    /// <summary>A triplet or query row; property names are the estimator's default column names.</summary>
    private sealed class TripletRow
    {
        public string ReferenceImage { get; set; } = "";
        public string ModificationText { get; set; } = "";
        public string TargetImage { get; set; } = "";
    }

    private sealed class GalleryRow
    {
        public string Image { get; set; } = "";
    }
}
