using System.Globalization;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Benchmarks.Harness;

/// <summary>
/// The throughput harness: <c>harness [section ...] [--option value ...]</c>. Every run first measures the machine's
/// limits (memory bandwidth, matmul FLOP rate), then runs the named sections (all when none is named) and prints
/// Markdown tables. Options: <c>--threads</c> (libtorch intra-op threads; default: libtorch's own choice, the
/// number of cores), <c>--repeats</c>, <c>--sizes</c> (search gallery sizes, comma-separated), <c>--queries</c>
/// (queries per search call, comma-separated), <c>--precision</c> (gallery precisions of the search and latency sections, comma-separated:
/// single, half, int8; default single), <c>--shared</c> (the shared data folder, for the latency and
/// indexing sections; default $MLNET_CR_SHARED or ../shared beside the repository), <c>--model</c> (a saved model, for
/// the latency and indexing sections: the harness uses the package's public API only), and for the training section
/// <c>--train-triplets</c> (default 512), <c>--epochs</c> (default 2) and <c>--batches</c> (default 32,128). The <c>load</c> section, run only
/// when named, drives a running FashionSearchWeb app: <c>--url</c> (loopback; default http://127.0.0.1:5080),
/// <c>--clients</c> (default 1,4,16), <c>--requests</c> per client (default 40), <c>--server-pid</c> (for its memory),
/// <c>--max-seconds</c> (default 900). The pgvector section takes
/// <c>--pg</c> (a connection string; default $MLNET_CR_PGVECTOR_CONNECTION), <c>--pg-sizes</c>, <c>--ef</c>
/// (ef_search values), <c>--pg-queries</c> and <c>--model</c> (a saved model: adds recall on the real val set).
/// </summary>
internal static class HarnessCommand
{
    private static readonly string[] AllSections = ["search", "training", "latency", "indexing", "pgvector"];

    public static int Run(string[] args)
    {
        var sections = new List<string>();
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                if (i + 1 >= args.Length) throw new ArgumentException($"Option {args[i]} needs a value.");
                options[args[i][2..]] = args[++i];
            }
            else if (AllSections.Contains(args[i]) || args[i] is "limits" or "load") sections.Add(args[i]);
            else throw new ArgumentException($"Unknown section '{args[i]}'; known: limits, load, {string.Join(", ", AllSections)}.");
        }
        if (sections.Count == 0) sections.AddRange(AllSections);

        TorchSharpRuntime.EnsureLoaded();
        if (options.TryGetValue("threads", out var threads)) set_num_threads(int.Parse(threads, CultureInfo.InvariantCulture));
        var repeats = options.TryGetValue("repeats", out var r) ? int.Parse(r, CultureInfo.InvariantCulture) : 0;

        Console.WriteLine($"# MLNet.ComposedRetrieval harness, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine();
        Console.WriteLine($"Machine: {Environment.ProcessorCount} logical cores, {CpuName()}, {RuntimeInformation.OSDescription}, " +
                          $".NET {Environment.Version}, libtorch threads {get_num_threads()} (intra-op) / {get_num_interop_threads()} (inter-op), " +
                          $"load average before the run {LoadAverage()}.");
        Console.WriteLine();
        var limits = MachineLimits.Measure();
        Console.WriteLine("## Machine limits (same run)");
        Console.WriteLine();
        Console.WriteLine(limits);

        var precisions = options.TryGetValue("precision", out var precision)
            ? precision.Split(',').Select(p => Enum.Parse<GalleryPrecision>(p.Trim(), ignoreCase: true)).ToArray()
            : [GalleryPrecision.Single];
        foreach (var section in sections)
        {
            switch (section)
            {
                case "search":
                    Console.WriteLine($"## (d) Exact top-50 search, 512-d gallery ({string.Join(", ", precisions)})");
                    Console.WriteLine();
                    Console.WriteLine(SearchSection.Run(limits,
                        IntList(options, "sizes", [10_000, 100_000, 1_000_000]),
                        IntList(options, "queries", [1, 100]),
                        precisions,
                        repeats > 0 ? repeats : 5));
                    break;
                case "training":
                    Console.WriteLine("## (a) Training throughput through ComposeImageTextEstimator.Fit (frozen pretrained encoders, real JPEGs)");
                    Console.WriteLine();
                    if (Dataset(options) is { } trainingData)
                    {
                        var batchSizes = IntList(options, "batches", [32, 128]);
                        // The first Fit fills the feature cache; it runs at the first batch size again, then each one on a warm cache.
                        Console.WriteLine(TrainingSection.Run(trainingData, IntList(options, "train-triplets", [512])[0], IntList(options, "epochs", [2])[0],
                            [batchSizes[0], .. batchSizes]));
                    }
                    break;
                case "latency":
                    Console.WriteLine("## (b) Single-query latency, end to end through GallerySearchEngine.Search (35k gallery)");
                    Console.WriteLine();
                    if (Dataset(options) is { } latencyData && Model(options) is { } latencyModel)
                        foreach (var galleryPrecision in precisions)
                            Console.WriteLine(QuerySection.RunLatency(latencyData, latencyModel, IntList(options, "latency-queries", [30])[0], galleryPrecision));
                    break;
                case "load":
                    Console.WriteLine("## (e) Web service under load (FashionSearchWeb on loopback, concurrent clients)");
                    Console.WriteLine();
                    Console.WriteLine(LoadSection.Run(new Uri(options.GetValueOrDefault("url", "http://127.0.0.1:5080")),
                        IntList(options, "clients", [1, 4, 16]), IntList(options, "requests", [40])[0],
                        options.TryGetValue("server-pid", out var pid) ? int.Parse(pid, CultureInfo.InvariantCulture) : null,
                        TimeSpan.FromSeconds(IntList(options, "max-seconds", [900])[0])));
                    break;
                case "pgvector":
                    Console.WriteLine("## (e) Gallery in PostgreSQL + pgvector (HNSW, halfvec, exact re-rank) vs exact in-memory search");
                    Console.WriteLine();
                    var connection = options.GetValueOrDefault("pg") ?? Environment.GetEnvironmentVariable("MLNET_CR_PGVECTOR_CONNECTION");
                    if (connection is null)
                    {
                        Console.WriteLine("(Skipped: needs a PostgreSQL + pgvector connection string: --pg or MLNET_CR_PGVECTOR_CONNECTION.)");
                        Console.WriteLine();
                        break;
                    }
                    if (options.GetValueOrDefault("model") is { } modelPath && Dataset(options) is { } recallData)
                        Console.WriteLine(PgVectorSection.RunRecall(connection, modelPath, recallData, IntList(options, "ef", [100]).Max()));
                    Console.WriteLine(PgVectorSection.RunScale(connection, IntList(options, "pg-sizes", [100_000]), IntList(options, "ef", [40, 100, 200, 400]),
                        IntList(options, "pg-queries", [200])[0]));
                    break;
                case "indexing":
                    Console.WriteLine("## (c) Gallery indexing through EmbedGalleryImages (decode, preprocess, image encoder, head)");
                    Console.WriteLine();
                    if (Dataset(options) is { } indexingData && Model(options) is { } indexingModel)
                        Console.WriteLine(QuerySection.RunIndexing(indexingData, indexingModel, IntList(options, "indexing-images", [512])[0]));
                    break;
            }
        }
        Console.WriteLine($"Load average after the run: {LoadAverage()}.");
        return 0;
    }

    /// <summary>The fashion-product-images folder, or null (with a note) when the shared data is absent.</summary>
    private static string? Dataset(Dictionary<string, string> options)
    {
        var shared = options.GetValueOrDefault("shared") ?? Environment.GetEnvironmentVariable("MLNET_CR_SHARED") ?? FindSharedBesideRepository();
        var dataset = shared is null ? null : Path.Combine(shared, "datasets", "fashion-product-images");
        if (dataset is not null && Directory.Exists(Path.Combine(dataset, "images"))) return dataset;
        Console.WriteLine($"(Skipped: needs shared/datasets/fashion-product-images/images; pass --shared <folder> or set MLNET_CR_SHARED.)");
        Console.WriteLine();
        return null;
    }

    /// <summary>The saved model of <c>--model</c>, or null (with a note): the public API builds a model only by training or loading one.</summary>
    private static string? Model(Dictionary<string, string> options)
    {
        if (options.GetValueOrDefault("model") is { } path && File.Exists(path)) return path;
        Console.WriteLine("(Skipped: needs a saved model, --model <file> (the main job's or FashionProductSearch's).)");
        Console.WriteLine();
        return null;
    }

    private static string? FindSharedBesideRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MLNet.ComposedRetrieval.sln")))
                return Directory.Exists(Path.Combine(dir.FullName, "..", "shared")) ? Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared")) : null;
        return null;
    }

    private static int[] IntList(Dictionary<string, string> options, string name, int[] defaults) =>
        options.TryGetValue(name, out var value)
            ? value.Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray()
            : defaults;

    private static string CpuName()
    {
        const string cpuinfo = "/proc/cpuinfo";
        if (!File.Exists(cpuinfo)) return RuntimeInformation.ProcessArchitecture.ToString();
        var line = File.ReadLines(cpuinfo).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
        return line?.Split(':', 2)[1].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString();
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}
