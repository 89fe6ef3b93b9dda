using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.ComposedRetrieval.Data;
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
    private readonly ConsoleProgress _progress = new(console);

    public ExperimentReport Run(CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        TorchSharp.torch.set_num_threads(options.Threads);
        // Everything cheap is checked before the model is loaded and the gallery embedded (minutes on a large gallery).
        var modelPath = ExistingModel(options.Model!);
        var gallery = GalleryFolder.Open(options.Gallery!, options.Split);
        var (source, allQueries, resolveReference) = LoadQueries();
        if (allQueries.Count == 0) throw new InvalidDataException($"{source} holds no queries: nothing to evaluate.");
        // The same seeded sampler as the run's --max-queries; the figures then describe the sample only.
        var queries = CompositionDataset.Sample(allQueries, options.MaxQueries, new Random(0));
        if (queries.Count < allQueries.Count) console.WriteLine($"  sampled {queries.Count} of {allQueries.Count} queries (--max-queries)");
        var (checkedQueries, references, report) = Resolve(queries, gallery, resolveReference);
        console.WriteLine($"  {checkedQueries.Count} queries, gallery {gallery.Ids.Count} images; {report}");

        console.WriteLine($"Loading {modelPath} ...");
        var mlContext = new MLContext(seed: 0);
        using var model = mlContext.Model.LoadComposeImageText(modelPath);
        // Embedded once (and cached on disk); each precision indexes the same rows.
        var galleryEmbeddings = model.EmbedGalleryFolder(gallery, modelPath, options.CacheFolder, _progress, options.BatchSize, cancellationToken);
        var excluded = checkedQueries.Select(q => GalleryFolder.IdOf(q.ReferenceImageId)).ToList();

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
            queryEmbeddings ??= ComposeQueries(engine, checkedQueries, references, cancellationToken);
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
            EvaluatedOn = $"{source}: {checkedQueries.Count} queries, gallery {gallery.Ids.Count} images" +
                          (options.Split is null ? "" : $" ({Path.GetFileName(options.Split)})") + ", reference excluded",
        };
        results.Set("model", modelPath)
            .Set("queries", source)
            .Set("gallery", gallery.Root)
            .Set("split", options.Split is null ? "none (every image of the folder)" : Path.GetFullPath(options.Split))
            .Set("images", report.ToString())
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

    /// <summary>The queries, where they come from, and how a dataset resolves a reference image it names (null for a query file).</summary>
    private (string Source, IReadOnlyList<CompositionQuery> Queries, Func<string, string>? Resolve) LoadQueries()
    {
        if (options.Queries is { } file)
        {
            console.WriteLine($"Loading {file} ...");
            return (Path.GetFullPath(file), TripletTsvReader.ReadQueries(file), null);
        }
        console.WriteLine($"Loading {options.Data} ...");
        var dataset = CompositionDatasets.Load(options.Data, options.Format, options.ImageRoot, options.Category);
        return ($"{dataset.Name} evaluation queries", dataset.EvalQueries, dataset.ResolveImage);
    }

    /// <summary>
    /// Maps image names to gallery ids and finds every reference image file (in the gallery folder, under --image-root,
    /// or where the dataset puts it). Missing references, targets outside the gallery and split ids without a file are
    /// reported; they fail the command unless --drop-missing-images, which drops what needs them and says how much.
    /// </summary>
    private (IReadOnlyList<CompositionQuery> Queries, IReadOnlyList<string> ReferencePaths, MissingImagesReport Report) Resolve(
        IReadOnlyList<CompositionQuery> queries, GalleryFolder gallery, Func<string, string>? resolveReference)
    {
        var missing = new List<MissingImage>(gallery.MissingImages);
        var missingIds = gallery.MissingImages.Select(m => m.ImageId).ToHashSet(StringComparer.Ordinal);
        void Missing(string name, string path, string reason)
        {
            if (missingIds.Add(name)) missing.Add(new MissingImage(name, path, reason));
        }

        var kept = new List<CompositionQuery>();
        var referencePaths = new List<string>();
        int droppedQueries = 0, droppedTargets = 0;
        var checkedImages = new HashSet<string>(gallery.Ids, StringComparer.Ordinal);
        foreach (var query in queries)
        {
            checkedImages.Add(GalleryFolder.IdOf(query.ReferenceImageId));
            var reference = FindReference(query.ReferenceImageId, gallery, resolveReference, out var tried);
            if (reference is null) Missing(query.ReferenceImageId, tried, "missing");
            var targets = new List<string>();
            foreach (var target in query.TargetImageIds)
            {
                var id = GalleryFolder.IdOf(target);
                checkedImages.Add(id);
                if (gallery.Contains(id)) targets.Add(id);
                else Missing(target, Path.Combine(gallery.Root, id + ".*"),
                    gallery.TryFindFile(id, out _) ? "not in the gallery (outside the split)" : "not in the gallery");
            }
            if (reference is null || targets.Count == 0)
            {
                droppedQueries++;
                continue;
            }
            droppedTargets += query.TargetImageIds.Count - targets.Count;
            kept.Add(new CompositionQuery(query.ReferenceImageId, query.ModificationText, targets));
            referencePaths.Add(reference);
        }

        var report = new MissingImagesReport($"{queries.Count} queries on {gallery.Root}", gallery.Locator, checkedImages.Count, missing);
        if (!report.HasMissing) return (kept, referencePaths, report);
        if (!options.DropMissingImages) throw new MissingImagesException(report, CommandLine.MissingImagesRemedy);
        report = new MissingImagesReport(report.DatasetName, report.Images, report.CheckedImageCount, missing)
        {
            DroppedQueries = droppedQueries, DroppedQueryTargets = droppedTargets, DroppedGalleryImages = gallery.MissingImages.Count,
        };
        if (kept.Count == 0) throw new MissingImagesException(report, "Every query needs a missing image: nothing is left to evaluate.");
        return (kept, referencePaths, report);
    }

    private string? FindReference(string name, GalleryFolder gallery, Func<string, string>? resolveReference, out string tried)
    {
        tried = Path.Combine(gallery.Root, GalleryFolder.IdOf(name) + ".*");
        if (gallery.TryFindFile(GalleryFolder.IdOf(name), out var path)) return path;
        if (options.ImageRoot is { } root && Path.Combine(Path.GetFullPath(root), name) is var underRoot)
        {
            tried = underRoot;
            if (File.Exists(underRoot)) return underRoot;
        }
        if (resolveReference is not null)
        {
            tried = resolveReference(name);
            if (File.Exists(tried)) return tried;
        }
        return null;
    }

    /// <summary>Composed query embeddings, <see cref="ExperimentOptions.BatchSize"/> at a time, with progress.</summary>
    private float[][] ComposeQueries(GallerySearchEngine engine, IReadOnlyList<CompositionQuery> queries,
        IReadOnlyList<string> referencePaths, CancellationToken cancellationToken)
    {
        var embeddings = new List<float[]>(queries.Count);
        var clock = Stopwatch.StartNew();
        foreach (var batch in Enumerable.Range(0, queries.Count).Chunk(options.BatchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            embeddings.AddRange(engine.EmbedQueries(batch.Select(i => referencePaths[i]).ToList(), batch.Select(i => queries[i].ModificationText).ToList()));
            _progress.Report(new WorkProgress("query embeddings", embeddings.Count, queries.Count, clock.Elapsed));
        }
        return embeddings.ToArray();
    }

    /// <summary>The embedded queries as rows for <c>EvaluateRecallAtK</c>: targets separated by ';', the reference's
    /// gallery id excluded from each ranking.</summary>
    private static IDataView QueryRows(MLContext mlContext, IReadOnlyList<CompositionQuery> queries, IReadOnlyList<string> referenceIds,
        float[][] embeddings, int dimension)
    {
        var rows = queries.Select((q, i) => new EmbeddedQueryRow
        {
            ReferenceImageId = referenceIds[i], TargetImageIds = string.Join(';', q.TargetImageIds), QueryEmbedding = embeddings[i],
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
}
