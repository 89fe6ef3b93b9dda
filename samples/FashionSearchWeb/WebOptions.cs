using System.Globalization;
using MLNet.ComposedRetrieval;

namespace FashionSearchWeb;

/// <summary>
/// The app's settings, read from the configuration, so both the command line (<c>--model FILE</c>) and a test host
/// (<c>UseSetting("model", ...)</c>) set them. Relative paths are resolved against the repository root when the app runs
/// inside the repository (as <c>dotnet run --project samples/FashionSearchWeb</c> does), else the current folder.
/// </summary>
internal sealed record WebOptions
{
    /// <summary>The benchmark the defaults point at, relative to the repository root.</summary>
    public const string DefaultDataset = "../shared/datasets/fashion-product-images";

    /// <summary>The address served when none is configured.</summary>
    public const string DefaultUrl = "http://localhost:5080";

    /// <summary>A model file; null: the newest under <see cref="RunsFolder"/>, else train one.</summary>
    public string? Model { get; init; }

    /// <summary>The dataset folder the defaults and the training path use.</summary>
    public required string Dataset { get; init; }

    /// <summary>The gallery image folder.</summary>
    public required string Gallery { get; init; }

    /// <summary>A split file restricting the gallery to its ids, or null for every image of <see cref="Gallery"/>.</summary>
    public string? Split { get; init; }

    /// <summary>styles.csv with the product titles, or null.</summary>
    public string? Titles { get; init; }

    /// <summary>Query TSV (reference, text, targets) whose targets the page may show as ground truth, or null.</summary>
    public string? Queries { get; init; }

    /// <summary>Where the main job saves its runs (<c>runs/*/models/*.mlcr</c>) and this app saves a model it trains.</summary>
    public required string RunsFolder { get; init; }

    /// <summary>The gallery embedding cache (shared with the experiment's <c>evaluate</c>/<c>query</c> commands).</summary>
    public required string CacheFolder { get; init; }

    /// <summary>A PostgreSQL + pgvector connection string: the gallery is kept there (the images it lacks are embedded and
    /// added at start) and searched there; null for the in-memory gallery.</summary>
    public string? Store { get; init; }

    /// <summary>The store's collection; null for one named after the model's checksum.</summary>
    public string? Collection { get; init; }

    /// <summary>Triplets the small model is trained on when no model is found.</summary>
    public int TrainTriplets { get; init; } = 3000;

    /// <summary>Epochs of that training.</summary>
    public int TrainEpochs { get; init; } = 4;

    /// <summary>Concurrent queries composed in one network call (1, the default: each request runs its own call, at
    /// most one per core). On the 2-core CPU VM batching lowered throughput (benchmarks/README.md, section (e)).</summary>
    public int QueryBatch { get; init; } = 1;

    /// <summary>Reads the settings; relative paths resolve against the repository root above <paramref name="workingFolder"/> (default: the current folder).</summary>
    /// <exception cref="ArgumentException">A value is malformed.</exception>
    public static WebOptions From(IConfiguration configuration, string? workingFolder = null)
    {
        var root = RepositoryRoot(workingFolder ?? Directory.GetCurrentDirectory());
        string Resolve(string path) => Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(root, path));
        string? Optional(string key) => configuration[key] is { Length: > 0 } value ? Resolve(value) : null;

        var dataset = Optional("dataset") ?? Resolve(DefaultDataset);
        var gallery = Optional("gallery");
        var split = Optional("split");
        if (gallery is null)
        {
            // The benchmark's val images, as the paper's protocol searches them.
            gallery = Path.Combine(dataset, "images");
            split ??= Path.Combine(dataset, "split.val.tsv");
        }
        return new WebOptions
        {
            Model = Optional("model"),
            Dataset = dataset,
            Gallery = gallery,
            Split = split,
            Titles = Optional("titles") ?? ExistingOrNull(Path.Combine(dataset, "styles.csv")),
            Queries = Optional("queries") ?? ExistingOrNull(Path.Combine(dataset, "queries.val.tsv")),
            RunsFolder = Optional("runs") ?? Resolve("runs"),
            CacheFolder = Optional("cache") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "MLNet.ComposedRetrieval", "features"),
            TrainTriplets = Int(configuration, "train-triplets", 3000, 64),
            TrainEpochs = Int(configuration, "epochs", 4, 1),
            QueryBatch = Int(configuration, "query-batch", 1, 1),
            Store = configuration["store"] is { Length: > 0 } store ? store : null,
            Collection = configuration["collection"] is { Length: > 0 } collection ? collection : null,
        };
    }

    /// <summary>The search precisions a request may ask for, by their API name.</summary>
    public static IReadOnlyDictionary<string, GalleryPrecision> Precisions { get; } = new Dictionary<string, GalleryPrecision>(StringComparer.OrdinalIgnoreCase)
    {
        ["single"] = GalleryPrecision.Single,
        ["half"] = GalleryPrecision.Half,
        ["int8"] = GalleryPrecision.Int8,
    };

    private static int Int(IConfiguration configuration, string key, int fallback, int minimum)
    {
        if (configuration[key] is not { Length: > 0 } text) return fallback;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < minimum)
            throw new ArgumentException($"--{key} must be an integer of at least {minimum}, got '{text}'.");
        return value;
    }

    private static string? ExistingOrNull(string path) => File.Exists(path) ? path : null;

    /// <summary>The repository root above <paramref name="folder"/> or the app's binaries, else <paramref name="folder"/>.</summary>
    private static string RepositoryRoot(string folder)
    {
        foreach (var start in new[] { folder, AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "MLNet.ComposedRetrieval.sln"))) return dir.FullName;
        return folder;
    }
}
