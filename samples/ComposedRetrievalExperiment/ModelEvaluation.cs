using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.ComposedRetrieval.Reporting;
using MLNet.ComposedRetrieval.Retrieval;
using MLNet.ComposedRetrieval.Training;

namespace MLNet.ComposedRetrieval.Experiment;

/// <summary>
/// The <c>evaluate</c> command: scores a saved model on a query file (or a dataset's evaluation queries) against a
/// gallery folder with the run's protocol (docs/method.md "Evaluation": reference excluded from its ranking, a hit at K when
/// any target is in the top K) and writes results.json / results.md in the run's schema, the model as one run, or one
/// run per gallery precision asked for (the same query embeddings against the gallery stored as float32, float16, int8).
/// </summary>
internal sealed partial class ModelEvaluation(ExperimentOptions options, TextWriter console)
{
    /// <summary>How the loaders and <c>EvaluateRecallAtK</c> separate a query's targets.</summary>
    private const char TargetSeparator = ';';


    private readonly ConsoleProgress _progress = new(console);

    public ExperimentReport Run(CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        TorchSharp.torch.set_num_threads(options.Threads);
        // Everything cheap is checked before the model is loaded and the gallery embedded (minutes on a large gallery).
        var modelPath = ExistingModel(options.Model!);
        var gallery = GalleryFolder.Open(options.Gallery!, options.Split);
        var mlContext = new MLContext(seed: 0);
        var (source, allQueries) = LoadQueries(mlContext);
        if (allQueries.Count == 0) throw new InvalidDataException($"{source} holds no queries: nothing to evaluate.");
        // A seeded sample: the figures then describe the sample only.
        var queries = Sample(allQueries, options.MaxQueries);
        if (queries.Count < allQueries.Count) console.WriteLine($"  sampled {queries.Count} of {allQueries.Count} queries (--max-queries)");
        var (checkedQueries, references, report) = Resolve(queries, gallery);
        console.WriteLine($"  {checkedQueries.Count} queries, gallery {gallery.Ids.Count} images; {report}");

        console.WriteLine($"Loading {modelPath} ...");
        using var model = mlContext.Model.LoadComposeImageText(modelPath);
        // Embedded once (and cached on disk); each precision indexes the same rows.
        var galleryEmbeddings = model.EmbedGalleryFolder(gallery, modelPath, options.CacheFolder, _progress, options.BatchSize, cancellationToken);
        var excluded = checkedQueries.Select(q => GalleryFolder.IdOf(q.Reference)).ToList();

        var (method, seed) = MethodOf(modelPath);
        var runs = new List<MethodRun>();
        var agreements = new List<(string Name, string Agreement)>();
        float[][]? queryEmbeddings = null;
        IDataView? embeddedQueries = null;
        IReadOnlyList<IReadOnlyList<string>>? float32Rankings = null;
        // In the enum's order: float32 first, the reference the others are compared with.
        foreach (var precision in options.GalleryPrecisions.Order())
        {
            using var engine = model.CreateSearchEngineFromEmbeddings(galleryEmbeddings, galleryPrecision: precision);
            queryEmbeddings ??= engine.EmbedQueries(references, checkedQueries.Select(q => q.Text).ToList(), _progress, options.BatchSize, cancellationToken);
            embeddedQueries ??= QueryRows(mlContext, checkedQueries, excluded, queryEmbeddings, model.EmbeddingDimension);
            var recall = mlContext.Ranking.EvaluateRecallAtK(embeddedQueries, galleryEmbeddings, ks: ExperimentRunner.Ks, galleryPrecision: precision);
            // The default keeps the method's own name; other precisions (or several) name theirs.
            var label = options.GalleryPrecisions is [GalleryPrecision.Single] ? method : $"{method} ({PrecisionName(precision)} gallery)";
            console.WriteLine($"{Path.GetFileName(modelPath)}, {PrecisionName(precision)} gallery ({engine.Count} images): {recall}");
            runs.Add(RunOf(label, seed, recall) with { ModelPath = modelPath });
            if (options.GalleryPrecisions.Count == 1) continue;
            var rankings = queryEmbeddings.Select((query, i) => (IReadOnlyList<string>)engine.Search(query, ExperimentRunner.Ks.Max(), excluded[i])
                .Select(r => r.ImageId).ToList()).ToList();
            if (precision == GalleryPrecision.Single) float32Rankings = rankings;
            else if (float32Rankings is not null)
            {
                agreements.Add(($"{PrecisionName(precision)} gallery vs float32", Agreement(rankings, float32Rankings)));
                console.WriteLine($"  {agreements[^1].Name}: {agreements[^1].Agreement}");
            }
        }

        var results = new ExperimentReport
        {
            Title = $"Composed image retrieval: {Path.GetFileName(modelPath)} evaluated",
            EvaluatedOn = source + (options.Split is null ? "" : $", gallery of the ids in {Path.GetFileName(options.Split)}") +
                          ", reference excluded",
        };
        results.Set("model", modelPath)
            .Set("queries", source)
            .Set("gallery", gallery.Root)
            .Set("split", options.Split is null ? "none (every image of the folder)" : Path.GetFullPath(options.Split))
            .Set("images", report)
            .Set("image encoder", $"{model.ImageEncoder}{(model.Layer4StrideOne ? ", layer4 stride 1" : "")}")
            .Set("text encoder", model.TextEncoder)
            .Set("embedding dimension", model.EmbeddingDimension)
            .Set("gallery precision", string.Join(", ", options.GalleryPrecisions.Select(PrecisionName)))
            .Set("machine", MachineDescription.Current("CPU"))
            .Set("torch threads", options.Threads)
            .Set("total time", clock.Elapsed);
        foreach (var (name, agreement) in agreements) results.Set(name, agreement);
        results.Runs.AddRange(runs);
        foreach (var file in ReportWriter.WriteAll(results, options.Output, charts: false)) console.WriteLine($"wrote {file}");
        return results;
    }

    private void Log(string message) => console.WriteLine("  " + message);

    /// <summary>The full path of the model file, which must exist.</summary>
    internal static string ExistingModel(string path)
    {
        var full = Path.GetFullPath(path);
        return File.Exists(full) ? full : throw new FileNotFoundException($"Model file '{full}' does not exist (--model).", full);
    }

    /// <summary>
    /// How closely <paramref name="rankings"/> follow <paramref name="reference"/> (the float32 gallery's): the share of
    /// each reference top K found in the ranking's top K, mean and worst over the queries, and the share of queries
    /// with the same first image.
    /// </summary>
    private static string Agreement(IReadOnlyList<IReadOnlyList<string>> rankings, IReadOnlyList<IReadOnlyList<string>> reference)
    {
        var shares = rankings.Zip(reference, (r, f) => f.Count == 0 ? 1 : (double)r.Intersect(f).Count() / f.Count).ToList();
        var sameFirst = rankings.Zip(reference).Count(p => p.First.Count > 0 && p.Second.Count > 0 && p.First[0] == p.Second[0]);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"top-{ExperimentRunner.Ks.Max()} overlap {100 * shares.Average():F1}% (worst {100 * shares.Min():F0}%), same top-1 {100.0 * sameFirst / rankings.Count:F1}%");
    }

    /// <summary>The report's run for an evaluation: recall in percent, as <c>100 * hits / queries</c> (so exactly the
    /// figure the run command reports for the same hits).</summary>
    private static MethodRun RunOf(string method, int? seed, RecallAtKMetrics recall)
    {
        var byK = new SortedDictionary<int, double>();
        for (int i = 0; i < recall.Ks.Count; i++) byK[recall.Ks[i]] = 100.0 * Math.Round(recall.Recall[i] * recall.QueryCount) / recall.QueryCount;
        return new MethodRun(method, seed, byK, recall.QueryCount, recall.GallerySize);
    }

    private static string PrecisionName(GalleryPrecision precision) => precision switch
    {
        GalleryPrecision.Half => "float16",
        GalleryPrecision.Int8 => "int8",
        _ => "float32",
    };

    /// <summary>The queries and where they come from, read by the library's loaders with image paths resolved but not
    /// checked: a reference is looked up in the gallery folder first, so it need not be where the annotations put it.</summary>
    private (string Source, IReadOnlyList<EvaluationQuery> Queries) LoadQueries(MLContext mlContext)
    {
        IDataView rows;
        string source;
        if (options.Queries is { } file)
        {
            console.WriteLine($"Loading {file} ...");
            rows = mlContext.Data.LoadCompositionQueries(file, options.ImageRoot, checkImages: false);
            source = Path.GetFullPath(file);
        }
        else
        {
            console.WriteLine($"Loading {options.Data} ...");
            var dataset = mlContext.Data.LoadCompositionDataset(options.Data, new CompositionDatasetOptions
            {
                Format = options.Format, FashionIqCategory = options.Category, ImageFolder = options.ImageRoot, CheckImages = false,
            });
            rows = dataset.Queries;
            source = $"{dataset.Name} evaluation queries";
        }
        var queries = mlContext.Data.CreateEnumerable<QueryRow>(rows, reuseRowObject: false)
            .Select(r => new EvaluationQuery(r.ReferenceImage, r.ModificationText, r.TargetImage.Split(TargetSeparator)))
            .ToList();
        return (source, queries);
    }

    /// <summary>A seeded sample of <paramref name="count"/> queries in file order (all of them when null).</summary>
    private static IReadOnlyList<EvaluationQuery> Sample(IReadOnlyList<EvaluationQuery> queries, int? count)
    {
        if (count is not int n || n >= queries.Count) return queries;
        var order = Enumerable.Range(0, queries.Count).ToArray();
        new Random(0).Shuffle(order);
        return order.Take(n).Order().Select(i => queries[i]).ToList();
    }

    /// <summary>
    /// Maps every image to its gallery id and finds every reference image file (in the gallery folder, else where the
    /// loader put it). Missing references, targets outside the gallery and split ids without a file are reported; they
    /// fail the command unless --drop-missing-images, which drops what needs them and says how much.
    /// </summary>
    private (IReadOnlyList<EvaluationQuery> Queries, IReadOnlyList<string> ReferencePaths, string Report) Resolve(
        IReadOnlyList<EvaluationQuery> queries, GalleryFolder gallery)
    {
        var missing = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var id in gallery.MissingImageIds) missing.TryAdd(id, $"{Path.Combine(gallery.Root, id + ".*")} (missing, listed by the split file)");

        var kept = new List<EvaluationQuery>();
        var referencePaths = new List<string>();
        int droppedQueries = 0, droppedTargets = 0;
        var checkedImages = new HashSet<string>(gallery.Ids, StringComparer.Ordinal);
        foreach (var query in queries)
        {
            var referenceId = GalleryFolder.IdOf(query.Reference);
            checkedImages.Add(referenceId);
            var reference = gallery.TryFindFile(referenceId, out var inGallery) ? inGallery : File.Exists(query.Reference) ? query.Reference : null;
            if (reference is null) missing.TryAdd(referenceId, $"{query.Reference} (missing)");
            var targets = new List<string>();
            foreach (var target in query.Targets)
            {
                var id = GalleryFolder.IdOf(target);
                checkedImages.Add(id);
                if (gallery.Contains(id)) targets.Add(id);
                else missing.TryAdd(id, $"{Path.Combine(gallery.Root, id + ".*")} ({(gallery.TryFindFile(id, out _) ? "not in the gallery (outside the split)" : "not in the gallery")})");
            }
            if (reference is null || targets.Count == 0)
            {
                droppedQueries++;
                continue;
            }
            droppedTargets += query.Targets.Count - targets.Count;
            kept.Add(query with { Targets = targets });
            referencePaths.Add(reference);
        }

        if (missing.Count == 0) return (kept, referencePaths, $"all {checkedImages.Count} images found (gallery {gallery.Root})");
        var report = $"{missing.Count} of {checkedImages.Count} images are missing or outside the gallery {gallery.Root}; for example " +
                     string.Join(", ", missing.Values.Take(5)) + ".";
        if (!options.DropMissingImages) throw new IOException($"{report} {CommandLine.MissingImagesRemedy}");
        if (kept.Count == 0) throw new IOException($"{report} Every query needs a missing image: nothing is left to evaluate.");
        return (kept, referencePaths,
            $"{report} Dropped {droppedQueries} queries, {droppedTargets} query targets and {gallery.MissingImageIds.Count} gallery images.");
    }

    /// <summary>The embedded queries as rows for <c>EvaluateRecallAtK</c>: targets separated by ';', the reference's
    /// gallery id excluded from each ranking.</summary>
    private static IDataView QueryRows(MLContext mlContext, IReadOnlyList<EvaluationQuery> queries, IReadOnlyList<string> referenceIds,
        float[][] embeddings, int dimension)
    {
        var rows = queries.Select((q, i) => new EmbeddedQueryRow
        {
            ReferenceImageId = referenceIds[i], TargetImageIds = string.Join(TargetSeparator, q.Targets), QueryEmbedding = embeddings[i],
        }).ToList();
        var definition = SchemaDefinition.Create(typeof(EmbeddedQueryRow));
        definition[nameof(EmbeddedQueryRow.QueryEmbedding)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, dimension);
        return mlContext.Data.LoadFromEnumerable(rows, definition);
    }

    /// <summary>The method and seed of a model the run command saved (<c>baseline-seed2.mlcr</c>); else the file name.</summary>
    internal static (string Method, int? Seed) MethodOf(string modelPath)
    {
        var name = Path.GetFileNameWithoutExtension(modelPath);
        var match = RunModelName().Match(name);
        return match.Success
            ? (ExperimentReports.DisplayName(match.Groups[1].Value), int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture))
            : (name, null);
    }

    [GeneratedRegex(@"^(baseline|uncertainty|uncertainty-rescaled)-seed(\d+)$")]
    private static partial Regex RunModelName();

    /// <summary>A query as the loaders give it: reference image path, text and target image paths (gallery ids once resolved).</summary>
    private sealed record EvaluationQuery(string Reference, string Text, IReadOnlyList<string> Targets);

    /// <summary>A row of the loaders' query view.</summary>
    private sealed class QueryRow
    {
        public string ReferenceImage { get; set; } = "";
        public string ModificationText { get; set; } = "";
        public string TargetImage { get; set; } = "";
    }
}
