using MLNet.ComposedRetrieval.Retrieval;

namespace MLNet.ComposedRetrieval.Tests.Retrieval.PgVector;

/// <summary>
/// The pgvector gallery store against a real server (PGlite started by <see cref="PgVectorServer"/>, or
/// MLNET_CR_PGVECTOR_CONNECTION's). Each test has its own collection.
/// </summary>
public sealed class PgVectorGalleryStoreTests(PgVectorServer server) : IClassFixture<PgVectorServer>
{
    private const string Model = "model-a";
    private const int K = 10;

    [SkippableFact]
    public async Task IngestedGalleryReportsProgressAndSearchesLikeTheExactInMemoryIndex()
    {
        server.Require();
        var options = Options("ingest", batchSize: 100);
        var items = SyntheticGallery.Items(550);
        await using var store = await Open(options);
        var reports = new List<GalleryIngestProgress>();

        var result = await store.IngestAsync(items, new SynchronousProgress(reports.Add), buildIndex: false);

        Assert.Equal((550L, 550L, 0L, 6), (result.Read, result.Inserted, result.Skipped, result.Batches));
        Assert.Equal(new long[] { 100, 200, 300, 400, 500, 550 }, reports.Select(r => r.Inserted));
        Assert.Equal(550, await store.CountAsync());
        Assert.False(await store.HasIndexAsync());

        // Without the index the candidates come from an exact scan: the rankings are the in-memory half-precision ones.
        var queries = SyntheticGallery.Queries(items, 25);
        var exact = SyntheticGallery.Exact(items, queries, K);
        var scanned = await store.SearchAsync(queries, K);
        for (var q = 0; q < queries.Length; q++)
        {
            Assert.Equal(exact[q].Ids, scanned[q].Ids);
            for (var r = 0; r < K; r++) Assert.Equal(exact[q].Scores[r], scanned[q].Scores[r], 1e-3f);
            Assert.DoesNotContain(queries[q].ExcludedImageId, scanned[q].Ids);
        }

        // Through the HNSW index, re-ranked: the exact top 10 as far as the candidates reach (all of them at this size).
        Assert.True(await store.BuildIndexAsync() > TimeSpan.Zero);
        Assert.True(await store.HasIndexAsync());
        var indexed = await store.SearchAsync(queries, K);
        var found = queries.Select((_, q) => indexed[q].Ids.Intersect(exact[q].Ids).Count()).Sum();
        Assert.True(found >= 0.98 * K * queries.Length, $"HNSW + re-rank found {found} of the {K * queries.Length} exact top-{K} images.");
        Assert.All(indexed, r => Assert.True(r.Scores.Zip(r.Scores.Skip(1)).All(p => p.First >= p.Second), "Scores must not increase."));
        await PgVectorGalleryStore.DropAsync(server.ConnectionString, options.Collection);
    }

    [SkippableFact]
    public async Task AnIngestionKilledWithTheServerKeepsWholeBatchesAndResumes()
    {
        server.RequireOwnServer();
        var options = Options("resume", batchSize: 100) with { Retry = GalleryStoreRetryPolicy.None };
        var items = SyntheticGallery.Items(1000);
        var store = await Open(options);
        var killed = false;
        var progress = new SynchronousProgress(p =>
        {
            if (p.Batches != 3) return;
            server.Kill();
            killed = true;
        });

        var failure = await Assert.ThrowsAsync<GalleryStoreException>(() => store.IngestAsync(items, progress));

        Assert.True(killed);
        Assert.Contains(failure.Failure, new[] { GalleryStoreFailure.ConnectionLost, GalleryStoreFailure.Unavailable });
        Assert.Contains("Rows 300-399 (this batch) were not written; 300 rows were committed", failure.Message);
        Assert.Contains("Run the ingestion again to resume", failure.Message);
        Assert.Contains(server.Endpoint, failure.Message);
        await store.DisposeAsync();

        server.Restart();
        await using var reopened = await Open(options);
        Assert.Equal(300, await reopened.CountAsync());
        var resumed = await reopened.IngestAsync(items);
        Assert.Equal((1000L, 700L, 300L), (resumed.Read, resumed.Inserted, resumed.Skipped));
        Assert.Equal(1000, await reopened.CountAsync());
        var queries = SyntheticGallery.Queries(items, 5);
        var exact = SyntheticGallery.Exact(items, queries, 1);
        var top = await reopened.SearchAsync(queries, 1);
        Assert.Equal(exact.Select(r => r.Ids[0]), top.Select(r => r.Ids[0]));
        await PgVectorGalleryStore.DropAsync(server.ConnectionString, options.Collection);
    }

    [SkippableFact]
    public async Task ACancelledIngestionLeavesWholeBatchesOnly()
    {
        server.Require();
        var options = Options("cancel", batchSize: 50);
        var items = SyntheticGallery.Items(400);
        await using var store = await Open(options);
        using var cancellation = new CancellationTokenSource();
        var progress = new SynchronousProgress(p =>
        {
            if (p.Batches == 2) cancellation.Cancel();
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.IngestAsync(items, progress, cancellationToken: cancellation.Token));

        Assert.Equal(100, await store.CountAsync());
        await PgVectorGalleryStore.DropAsync(server.ConnectionString, options.Collection);
    }

    [SkippableFact]
    public async Task UpsertAddsAndReplacesProductsWithoutARebuild()
    {
        server.Require();
        var options = Options("upsert", batchSize: 100);
        var items = SyntheticGallery.Items(300);
        await using var store = await Open(options);
        await store.IngestAsync(items);

        // A new product is found for its own embedding.
        var added = SyntheticGallery.Items(301, seed: 9)[300] with { Id = "new", Category = "Hats" };
        await store.UpsertAsync(added);
        Assert.Equal(301, await store.CountAsync());
        var top = (await store.SearchAsync([new GalleryStoreQuery(added.Embedding)], 1))[0];
        Assert.Equal("new", top.Ids[0]);
        Assert.Equal(16f, top.Scores[0], 0.05f);

        // Replacing p0 by p1's embedding and a new category: found there, under that category, count unchanged.
        await store.UpsertAsync(items[0] with { Embedding = items[1].Embedding, Category = "Hats" });
        Assert.Equal(301, await store.CountAsync());
        var hats = (await store.SearchAsync([new GalleryStoreQuery(items[1].Embedding, Category: "Hats")], K))[0];
        Assert.Equal(new[] { "p0", "new" }, hats.Ids);
        var nearP1 = (await store.SearchAsync([new GalleryStoreQuery(items[1].Embedding)], 2))[0];
        Assert.Equal(new[] { "p0", "p1" }, nearP1.Ids.Order());
        await PgVectorGalleryStore.DropAsync(server.ConnectionString, options.Collection);
    }

    [SkippableFact]
    public async Task DeleteRemovesAProductFromCountAndResults()
    {
        server.Require();
        var options = Options("delete", batchSize: 100);
        var items = SyntheticGallery.Items(200);
        await using var store = await Open(options);
        await store.IngestAsync(items);
        var query = new GalleryStoreQuery(items[7].Embedding);
        Assert.Equal("p7", (await store.SearchAsync([query], 1))[0].Ids[0]);

        Assert.True(await store.DeleteAsync("p7"));
        Assert.False(await store.DeleteAsync("p7"));

        Assert.Equal(199, await store.CountAsync());
        var after = (await store.SearchAsync([query], K))[0];
        Assert.Equal(K, after.Count);
        Assert.DoesNotContain("p7", after.Ids);
        await PgVectorGalleryStore.DropAsync(server.ConnectionString, options.Collection);
    }

    [SkippableFact]
    public async Task ACategoryFilterStillReturnsKRowsOfThatCategoryThroughTheIndex()
    {
        server.Require();
        // A small graph list so that most candidates the graph offers are of other categories: the iterative scan must go on.
        var options = Options("filter", batchSize: 500) with { EfSearch = 10, RerankCandidates = 10 };
        var items = SyntheticGallery.Items(1000);
        await using var store = await Open(options);
        await store.IngestAsync(items);
        Assert.True(await store.HasIndexAsync());
        var queries = SyntheticGallery.Queries(items, 10, category: "Shoes");

        var filtered = await store.SearchAsync(queries, K);

        var shoes = items.Where(i => i.Category == "Shoes").ToArray();
        var exact = SyntheticGallery.Exact(shoes, queries, K);
        var found = 0;
        for (var q = 0; q < queries.Length; q++)
        {
            Assert.Equal(K, filtered[q].Count);
            Assert.All(filtered[q].Ids, id => Assert.Equal(0, int.Parse(id[1..]) % 10));
            found += filtered[q].Ids.Intersect(exact[q].Ids).Count();
        }
        Assert.True(found >= 0.8 * K * queries.Length, $"The filtered search found {found} of the {K * queries.Length} exact filtered top-{K}.");
        await PgVectorGalleryStore.DropAsync(server.ConnectionString, options.Collection);
    }

    [SkippableFact]
    public async Task OpeningACollectionWithAnotherModelIsRefused()
    {
        server.Require();
        var options = Options("mismatch", batchSize: 100);
        await using (var store = await Open(options)) await store.IngestAsync(SyntheticGallery.Items(20));

        var otherModel = await Assert.ThrowsAsync<GalleryStoreException>(() =>
            PgVectorGalleryStore.OpenAsync(server.ConnectionString, "model-b", SyntheticGallery.Dimension, options));
        var otherWidth = await Assert.ThrowsAsync<GalleryStoreException>(() =>
            PgVectorGalleryStore.OpenAsync(server.ConnectionString, Model, 32, options));

        Assert.Equal(GalleryStoreFailure.ModelMismatch, otherModel.Failure);
        Assert.Contains("model-a", otherModel.Message);
        Assert.Contains("model-b", otherModel.Message);
        Assert.Equal(GalleryStoreFailure.ModelMismatch, otherWidth.Failure);
        Assert.Contains("64-d", otherWidth.Message);
        await using (var again = await Open(options)) Assert.Equal(20, await again.CountAsync());
        await PgVectorGalleryStore.DropAsync(server.ConnectionString, options.Collection);
    }

    [SkippableFact]
    public async Task AServerKilledDuringQueriesGivesAClearErrorAndTheFirstQueryAfterARestartWorks()
    {
        server.RequireOwnServer();
        var options = Options("restart", batchSize: 200);
        var items = SyntheticGallery.Items(400);
        await using var store = await Open(options);
        await store.IngestAsync(items);
        var queries = SyntheticGallery.Queries(items, 4);
        var before = await store.SearchAsync(queries, K);

        var searching = Task.Run(async () =>
        {
            while (true) await store.SearchAsync(queries, K);
        });
        await Task.Delay(300);
        server.Kill();
        var failure = await Assert.ThrowsAsync<GalleryStoreException>(() => searching);

        Assert.Contains(failure.Failure, new[] { GalleryStoreFailure.ConnectionLost, GalleryStoreFailure.Unavailable });
        Assert.Contains(server.Endpoint, failure.Message);
        // While it is down, every query says so (after the retries; an idle pooled connection may report the loss first).
        var down = await Assert.ThrowsAsync<GalleryStoreException>(() => store.SearchAsync(queries, K));
        Assert.Contains(down.Failure, new[] { GalleryStoreFailure.ConnectionLost, GalleryStoreFailure.Unavailable });
        Assert.Contains("after 3 tries", down.Message);

        server.Restart();
        var after = await store.SearchAsync(queries, K);
        for (var q = 0; q < queries.Length; q++) Assert.Equal(before[q].Ids, after[q].Ids);
        await PgVectorGalleryStore.DropAsync(server.ConnectionString, options.Collection);
    }

    [SkippableFact]
    public async Task OpeningAStoreWhereNoServerListensSaysItIsUnreachable()
    {
        server.Require();
        var port = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        port.Start();
        var free = ((System.Net.IPEndPoint)port.LocalEndpoint).Port;
        port.Stop();

        var failure = await Assert.ThrowsAsync<GalleryStoreException>(() => PgVectorGalleryStore.OpenAsync(
            $"Host=127.0.0.1;Port={free};Username=postgres;Password=postgres;Timeout=5", Model, SyntheticGallery.Dimension,
            new PgVectorGalleryOptions { Retry = new GalleryStoreRetryPolicy(2, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(10)) }));

        Assert.Equal(GalleryStoreFailure.Unavailable, failure.Failure);
        Assert.Contains($"127.0.0.1:{free}", failure.Message);
        Assert.Contains("after 2 tries", failure.Message);
    }

    private Task<PgVectorGalleryStore> Open(PgVectorGalleryOptions options) =>
        PgVectorGalleryStore.OpenAsync(server.ConnectionString, Model, SyntheticGallery.Dimension, options);

    private static PgVectorGalleryOptions Options(string name, int batchSize) => new()
    {
        Collection = $"t_{name}_{Environment.ProcessId}",
        IngestBatchSize = batchSize,
    };

    /// <summary>Reports on the ingesting thread, in order (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SynchronousProgress(Action<GalleryIngestProgress> report) : IProgress<GalleryIngestProgress>
    {
        public void Report(GalleryIngestProgress value) => report(value);
    }
}
