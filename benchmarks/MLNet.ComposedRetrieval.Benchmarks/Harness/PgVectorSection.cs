using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Npgsql;

namespace MLNet.ComposedRetrieval.Benchmarks.Harness;

/// <summary>
/// The PostgreSQL + pgvector gallery store (<see cref="PgVectorGalleryStore"/>) against the exact in-memory search.
/// <para>Scale (<see cref="RunScale"/>): synthetic clustered 512-d embeddings of norm 4 (the model's), N of them,
/// ingested by binary COPY (rate), the HNSW index built after the load (time, sizes), then single queries near
/// gallery images (each excluding that image) for several <c>ef_search</c> values: p50 / p95 latency and the share of
/// the exact top 50 (in-memory, at the store's precision) the store returns.</para>
/// <para>Recall (<see cref="RunRecall"/>): a saved model embeds the val gallery and queries of the Fashion Product
/// Images benchmark; Recall@1/10/50 of the in-memory exact search (float32 and float16) and through the store, and how
/// many queries' top 10 are identical.</para>
/// </summary>
internal static class PgVectorSection
{
    private const int Width = 512;
    private const int K = 50;
    private static readonly int[] Ks = [1, 10, 50];

    public static string RunScale(string connectionString, IReadOnlyList<int> sizes, IReadOnlyList<int> efSearches, int queryCount)
    {
        var table = new MarkdownTable("N", "ingest (rows/s)", "index build (s)", "table + index (MB)", "ef_search", "query p50 (ms)",
            "query p95 (ms)", "top-50 overlap with exact (mean)", "worst query", "same first image", "exact in-memory p50 (ms)");
        foreach (var n in sizes)
        {
            var items = ClusteredItems(n, seed: 5);
            var random = new Random(6);
            var queries = Enumerable.Range(0, queryCount).Select(_ =>
            {
                var reference = items[random.Next(n)];
                return new GalleryStoreQuery(Normalised(reference.Embedding.ToArray().Select(v => v + 0.6f * Gaussian(random)).ToArray()), reference.Id);
            }).ToArray();

            using var memory = new InMemoryGalleryStore(items.Select(i => i.Id).ToArray(), items.SelectMany(i => i.Embedding.ToArray()).ToArray(),
                Width, GalleryPrecision.Half);
            var exact = memory.Search(queries, K);
            var memoryTimes = Timing.FromSamples(queries.Select(q => Seconds(() => memory.Search([q], K))));

            var collection = $"bench_{n}";
            PgVectorGalleryStore.DropAsync(connectionString, collection).GetAwaiter().GetResult();
            var options = new PgVectorGalleryOptions { Collection = collection, IngestBatchSize = 2000, IndexBuildMemoryMegabytes = 512 };
            GalleryIngestProgress ingested;
            TimeSpan build;
            using (var store = PgVectorGalleryStore.OpenAsync(connectionString, "synthetic", Width, options).GetAwaiter().GetResult())
            {
                var lastReport = Stopwatch.StartNew();
                var progress = new Progress<GalleryIngestProgress>(p =>
                {
                    if (lastReport.Elapsed.TotalSeconds < 30) return;
                    lastReport.Restart();
                    Console.Error.WriteLine($"  ingested {p.Inserted:N0} of {n:N0} ({p.InsertedPerSecond:N0} rows/s)");
                });
                ingested = store.IngestAsync(items, progress, buildIndex: false).GetAwaiter().GetResult();
                Console.Error.WriteLine($"  N={n:N0}: ingested at {ingested.InsertedPerSecond:N0} rows/s; building the index");
                build = store.BuildIndexAsync().GetAwaiter().GetResult();
                Console.Error.WriteLine($"  N={n:N0}: index built in {build.TotalSeconds:N1} s");
            }
            var megabytes = RelationMegabytes(connectionString, collection);
            foreach (var ef in efSearches)
            {
                using var store = PgVectorGalleryStore.OpenAsync(connectionString, "synthetic", Width,
                    options with { EfSearch = ef, RerankCandidates = K }).GetAwaiter().GetResult();
                store.SearchAsync(queries.Take(5).ToArray(), K).GetAwaiter().GetResult();
                var found = new GalleryRanking[queries.Length];
                var times = Timing.FromSamples(queries.Select((q, i) => Seconds(() => found[i] = store.SearchAsync([q], K).GetAwaiter().GetResult()[0])));
                var overlaps = found.Select((r, i) => r.Ids.Intersect(exact[i].Ids).Count() / (double)exact[i].Count).ToArray();
                var sameFirst = found.Select((r, i) => r.Ids[0] == exact[i].Ids[0]).Count(s => s) / (double)queries.Length;
                table.Add(n.ToString("N0"), MarkdownTable.Format(ingested.InsertedPerSecond), MarkdownTable.Format(build.TotalSeconds),
                    MarkdownTable.Format(megabytes), ef > K ? $"{ef}" : $"{ef} ({K + 1})", MarkdownTable.Format(times.Median * 1e3), MarkdownTable.Format(times.P95 * 1e3),
                    $"{overlaps.Average():P1}", $"{overlaps.Min():P0}", $"{sameFirst:P0}", MarkdownTable.Format(memoryTimes.Median * 1e3));
            }
            PgVectorGalleryStore.DropAsync(connectionString, collection).GetAwaiter().GetResult();
        }
        return table + $"\n{queryCount} single queries per row, each near a gallery image (that image excluded), top {K}, " +
               $"candidates re-ranked exactly = {K} (ef_search is raised to {K + 1} when lower, in brackets); exact = the in-memory float16 search of the same vectors (the store keeps halfvec).\n";
    }

    public static string RunRecall(string connectionString, string modelPath, string datasetRoot, int efSearch)
    {
        var ml = new MLContext(seed: 1);
        using var model = ComposeImageTextTransformer.Load(ml, modelPath);
        var (galleryIds, evalQueries) = ValidationSet(datasetRoot);
        var images = Path.Combine(datasetRoot, "images");
        var clock = Stopwatch.StartNew();
        var gallery = ml.Data.LoadFromEnumerable(galleryIds.Select(id => new GalleryImage { ImageId = id, Image = Path.Combine(images, id) }));
        var items = ml.Transforms.EmbedGalleryImages(model, inputColumnName: "Image").Fit(gallery).Transform(gallery).ReadGalleryItems().ToArray();
        Console.Error.WriteLine($"  embedded {items.Length:N0} gallery images in {clock.Elapsed.TotalSeconds:N0} s");

        var queryRows = evalQueries.Select(q => new QueryRow { Reference = Path.Combine(images, q.Reference), Text = q.Text }).ToList();
        var queryView = ml.Data.LoadFromEnumerable(queryRows);
        var renamed = ml.Transforms.CopyColumns(model.ReferenceImageColumnName, nameof(QueryRow.Reference))
            .Append(ml.Transforms.CopyColumns(model.TextColumnName, nameof(QueryRow.Text))).Fit(queryView).Transform(queryView);
        var embedded = model.Transform(renamed).GetColumn<float[]>(model.OutputColumnName).ToArray();
        Console.Error.WriteLine($"  embedded {embedded.Length:N0} queries after {clock.Elapsed.TotalSeconds:N0} s");
        var queries = embedded.Select((e, i) => new GalleryStoreQuery(e, evalQueries[i].Reference)).ToArray();
        var targets = evalQueries.Select(q => q.Targets).ToArray();

        var table = new MarkdownTable("search", "R@1", "R@10", "R@50", "queries whose top 10 equals the float32 one", "search time (s)");
        var ids = items.Select(i => i.Id).ToArray();
        var values = items.SelectMany(i => i.Embedding.ToArray()).ToArray();
        IReadOnlyList<GalleryRanking>? reference = null;
        void Add(string name, Func<IReadOnlyList<GalleryRanking>> search)
        {
            IReadOnlyList<GalleryRanking> rankings = [];
            var seconds = Seconds(() => rankings = search());
            reference ??= rankings;
            var recall = Ks.Select(k => HitShare(rankings, targets, k)).ToArray();
            var same = rankings.Select((r, i) => r.Ids.Take(10).SequenceEqual(reference[i].Ids.Take(10))).Count(s => s);
            table.Add(name, MarkdownTable.Format(recall[0]), MarkdownTable.Format(recall[1]), MarkdownTable.Format(recall[2]),
                $"{same} / {queries.Length}", MarkdownTable.Format(seconds));
        }
        foreach (var precision in new[] { GalleryPrecision.Single, GalleryPrecision.Half })
        {
            using var memory = new InMemoryGalleryStore(ids, values, model.EmbeddingDimension, precision, model.ModelChecksum);
            Add($"in memory, exact, {precision}", () => memory.Search(queries, K));
        }
        var options = new PgVectorGalleryOptions { Collection = "bench_val", EfSearch = efSearch, RerankCandidates = Math.Max(K, efSearch) };
        PgVectorGalleryStore.DropAsync(connectionString, options.Collection).GetAwaiter().GetResult();
        using (var store = PgVectorGalleryStore.OpenAsync(connectionString, model.ModelChecksum, model.EmbeddingDimension, options).GetAwaiter().GetResult())
        {
            store.IngestAsync(items).GetAwaiter().GetResult();
            Add($"pgvector halfvec HNSW, ef_search {efSearch}, re-ranked", () => store.SearchAsync(queries, K).GetAwaiter().GetResult());
        }
        PgVectorGalleryStore.DropAsync(connectionString, options.Collection).GetAwaiter().GetResult();
        return table + $"\n{queries.Length} val queries, gallery {ids.Length:N0} val images, model {Path.GetFileName(modelPath)} " +
               $"(SHA-256 {model.ModelChecksum[..12]}...), each query's reference excluded.\n";
    }

    /// <summary>
    /// The val split of a dataset in the triplet TSV layout: the gallery (split.val.tsv, one id per line, image
    /// "{id}.jpg") and the queries (queries.val.tsv: reference, text, targets separated by ';'). Read here because the
    /// package's readers are not public API.
    /// </summary>
    private static (string[] Gallery, (string Reference, string Text, string[] Targets)[] Queries) ValidationSet(string datasetRoot)
    {
        var gallery = File.ReadLines(Path.Combine(datasetRoot, "split.val.tsv")).Skip(1).Where(l => l.Length > 0).Select(id => id.Trim() + ".jpg").ToArray();
        var queries = File.ReadLines(Path.Combine(datasetRoot, "queries.val.tsv")).Skip(1).Where(l => l.Length > 0)
            .Select(l => l.Split('\t')).Select(f => (f[0], f[1], f[2].Split(';'))).ToArray();
        return (gallery, queries);
    }

    /// <summary>Recall@K in percent as the benchmark's check of a ranking: the share of queries with a target in the top K.</summary>
    private static double HitShare(IReadOnlyList<GalleryRanking> rankings, string[][] targets, int k) =>
        100.0 * rankings.Select((r, i) => r.Ids.Take(k).Intersect(targets[i]).Any()).Count(hit => hit) / rankings.Count;

    /// <summary>Table plus index size of a collection.</summary>
    private static double RelationMegabytes(string connectionString, string collection)
    {
        // Unpooled: a server limited to a few connections (PGlite) must not keep this one.
        using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
        connection.Open();
        using var command = new NpgsqlCommand($"SELECT pg_total_relation_size('\"mlcr_gallery_{collection}\"')", connection);
        return (long)command.ExecuteScalar()! / 1e6;
    }

    /// <summary>N items in N/100 clusters (at least 10), unit directions scaled to norm 4.</summary>
    private static GalleryItem[] ClusteredItems(int n, int seed)
    {
        var random = new Random(seed);
        var centres = Enumerable.Range(0, Math.Max(10, n / 100)).Select(_ => Enumerable.Range(0, Width).Select(_ => Gaussian(random)).ToArray()).ToArray();
        return Enumerable.Range(0, n).Select(i =>
        {
            var centre = centres[random.Next(centres.Length)];
            return new GalleryItem($"g{i}", Normalised(centre.Select(c => c + 0.8f * Gaussian(random)).ToArray()));
        }).ToArray();
    }

    private static float[] Normalised(float[] v)
    {
        var norm = MathF.Sqrt(v.Sum(x => x * x));
        return v.Select(x => 4 * x / norm).ToArray();
    }

    private static float Gaussian(Random random) =>
        (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));

    private static double Seconds(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }

    private sealed class GalleryImage
    {
        public string ImageId { get; set; } = "";
        public string Image { get; set; } = "";
    }

    private sealed class QueryRow
    {
        public string Reference { get; set; } = "";
        public string Text { get; set; } = "";
    }
}
