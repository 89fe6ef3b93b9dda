using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Retrieval;
using MLNet.ComposedRetrieval.Tests.Data;
using MLNet.ComposedRetrieval.Training;

namespace MLNet.ComposedRetrieval.Tests.Pipeline;

[Collection(TrainedModelCollection.Name)]
public sealed class GallerySearchTests(TrainedModelFixture fixture) : IDisposable
{
    private readonly MLContext _ml = fixture.ML;
    private readonly Lazy<GallerySearchEngine> _engine = new(() => fixture.Model.CreateSearchEngine(SyntheticRows.Gallery(fixture.ML)));

    private GallerySearchEngine Engine => _engine.Value;

    [Fact]
    public void TheEngineIndexesEveryGalleryRowUnderItsId()
    {
        Assert.Equal(SyntheticRows.Task.Images.Count, Engine.Count);
        Assert.Equal(Enumerable.Range(0, Engine.Count).Select(i => i.ToString()), Engine.ImageIds);
    }

    [Fact]
    public void GalleryEmbeddingsAreTheModelsImageEmbeddings()
    {
        var gallery = SyntheticRows.Gallery(_ml);
        var embedded = _ml.Transforms.EmbedGalleryImages(fixture.Model).Fit(gallery).Transform(gallery);
        var vectors = DataViewColumns.Vectors(embedded, "ImageEmbedding");

        var model = fixture.Model.Model;
        var expected = new float[model.EmbeddingDimension];
        foreach (var id in new[] { 0, 17, vectors.Length - 1 })
        {
            using var image = SyntheticRows.Image(id);
            model.EmbedImages([RgbImage.FromMLImage(image)], expected);
            for (int d = 0; d < expected.Length; d++) Assert.Equal(expected[d], vectors[id][d], 1e-5f);
        }
    }

    [Fact]
    public void SingleQueriesAndQueryRowsGiveTheSameRankings()
    {
        var queries = SyntheticRows.Triplets(_ml, SyntheticRows.Task.Queries.Take(5));
        var searched = Engine.Search(queries, k: 4, excludedImageIdColumnName: "ReferenceImageId");
        var ids = DataViewColumns.TextVectors(searched, GallerySearchEngine.DefaultResultIdsColumnName);
        var scores = DataViewColumns.Vectors(searched, GallerySearchEngine.DefaultResultScoresColumnName);

        for (int i = 0; i < 5; i++)
        {
            var query = SyntheticRows.Task.Queries[i];
            using var image = SyntheticRows.Image(query.Reference);
            var single = Engine.Search(image, query.Text, k: 4, excludedImageId: query.Reference.ToString());
            Assert.Equal(single.Select(r => r.ImageId), ids[i]);
            for (int r = 0; r < 4; r++) Assert.Equal(single[r].Score, scores[i][r], 1e-4f);
            Assert.DoesNotContain(query.Reference.ToString(), ids[i]);
            Assert.True(single.Zip(single.Skip(1)).All(p => p.First.Score >= p.Second.Score), "scores are not best first");
        }
    }

    [Fact]
    public void ConcurrentSingleQueriesGiveTheSequentialResults()
    {
        var queries = SyntheticRows.Task.Queries.Take(24).ToList();
        var images = queries.Select(q => SyntheticRows.Image(q.Reference)).ToList();
        var sequential = queries.Select((q, i) => Engine.Search(images[i], q.Text, k: 5)).ToList();

        var concurrent = new IReadOnlyList<SearchResult>[queries.Count];
        Parallel.For(0, queries.Count * 4, new ParallelOptions { MaxDegreeOfParallelism = 4 },
            n => concurrent[n % queries.Count] = Engine.Search(images[n % queries.Count], queries[n % queries.Count].Text, k: 5));

        for (int i = 0; i < queries.Count; i++) Assert.Equal(sequential[i], concurrent[i]);
        foreach (var image in images) image.Dispose();
    }

    [Fact]
    public void QueriesEmbeddedTogetherSearchLikeSingleQueries()
    {
        var queries = SyntheticRows.Task.Queries.Take(6).ToList();
        var images = queries.Select(q => SyntheticRows.Image(q.Reference)).ToList();
        var embeddings = Engine.EmbedQueries(images, queries.Select(q => q.Text).ToList());

        Assert.Equal(queries.Count, embeddings.Length);
        for (int i = 0; i < queries.Count; i++)
        {
            var excluded = queries[i].Reference.ToString();
            var single = Engine.Search(images[i], queries[i].Text, k: 5, excludedImageId: excluded);
            var split = Engine.Search(embeddings[i], k: 5, excludedImageId: excluded);
            Assert.Equal(single.Select(r => r.ImageId), split.Select(r => r.ImageId));
            for (int r = 0; r < 5; r++) Assert.Equal(single[r].Score, split[r].Score, 1e-4f);
        }
        Assert.Throws<ArgumentException>(() => Engine.EmbedQueries(images, ["only one text"]));
        Assert.Throws<ArgumentException>(() => Engine.Search(new float[3], k: 5));
        foreach (var image in images) image.Dispose();
    }

    [Fact]
    public void AFolderGalleryIsEmbeddedOnceThenServedFromTheCache()
    {
        using var folder = new TemporaryFolder();
        var (gallery, modelPath, cache) = SyntheticRows.WriteGalleryFolder(folder.FullPath, fixture.Model);

        var firstReports = new List<WorkProgress>();
        using var first = fixture.Model.CreateSearchEngine(gallery, modelPath, cache, progress: new SynchronousProgress(firstReports));
        var secondReports = new List<WorkProgress>();
        using var second = fixture.Model.CreateSearchEngine(gallery, modelPath, cache, GalleryPrecision.Half, new SynchronousProgress(secondReports));

        int count = SyntheticRows.Task.Images.Count;
        Assert.Equal(count, firstReports[^1].Done);
        Assert.Equal(0, firstReports[0].Done);
        Assert.StartsWith($"{count} of {count} to compute", firstReports[0].Message);
        // Served from the cache: one report, that nothing is left to compute.
        var cached = Assert.Single(secondReports);
        Assert.Equal((count, count), (cached.Done, cached.Total));
        Assert.StartsWith($"0 of {count} to compute", cached.Message);
        Assert.Equal(gallery.Ids, first.ImageIds);
        var query = SyntheticRows.Task.Queries[0];
        using var image = SyntheticRows.Image(query.Reference);
        var expected = Engine.Search(image, query.Text, k: 5);
        Assert.Equal(expected.Select(r => r.ImageId), first.Search(image, query.Text, k: 5).Select(r => r.ImageId));

        // The cached embeddings as rows: in the folder's id order, and an engine over them answers like the folder's.
        var rows = fixture.Model.EmbedGalleryFolder(gallery, modelPath, cache);
        Assert.Equal(gallery.Ids, rows.GetColumn<string>(GallerySearchEngine.DefaultImageIdColumnName));
        using var fromRows = fixture.Model.CreateSearchEngineFromEmbeddings(rows);
        Assert.Equal(first.Search(image, query.Text, k: 5), fromRows.Search(image, query.Text, k: 5));
        // Query embeddings from image paths decode the file as Search(path) does.
        var path = gallery.PathOf(gallery.Ids[0]);
        var byPath = first.EmbedQueries([path], [query.Text]);
        Assert.Equal(first.Search(path, query.Text, k: 5), first.Search(byPath[0], k: 5));
        // A query set in batches of 4 with progress: the one-call embeddings, a report per batch up to the whole set.
        var queries = SyntheticRows.Task.Queries.Take(10).ToList();
        var paths = queries.Select(q => gallery.PathOf(q.Reference.ToString())).ToList();
        var texts = queries.Select(q => q.Text).ToList();
        var batchReports = new List<WorkProgress>();
        var batched = first.EmbedQueries(paths, texts, new SynchronousProgress(batchReports), batchSize: 4);
        var together = first.EmbedQueries(paths, texts);
        for (int i = 0; i < queries.Count; i++) Assert.Equal(together[i], batched[i], (a, b) => Math.Abs(a - b) < 1e-5f);
        Assert.Equal([4, 8, 10], batchReports.Select(r => r.Done));
        Assert.All(batchReports, r => Assert.Equal(("query embeddings", 10), (r.Stage, r.Total)));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => first.EmbedQueries(paths, texts, null, cancellationToken: cancelled.Token));
        Assert.Equal(GalleryPrecision.Half, second.GalleryPrecision);
        Assert.Throws<FileNotFoundException>(() => fixture.Model.CreateSearchEngine(gallery, Path.Combine(folder.FullPath, "none.mlcr"), cache));
    }

    [Fact]
    public void EmbeddingAGalleryForAnEngineReportsProgressPerBatch()
    {
        var gallery = SyntheticRows.Gallery(_ml);
        var reports = new List<WorkProgress>();
        using var engine = fixture.Model.CreateSearchEngine(gallery, progress: new SynchronousProgress(reports));
        var embedded = _ml.Transforms.EmbedGalleryImages(fixture.Model).Fit(gallery).Transform(gallery);
        var fromEmbeddings = new List<WorkProgress>();
        using var second = fixture.Model.CreateSearchEngineFromEmbeddings(embedded, progress: new SynchronousProgress(fromEmbeddings));

        var count = SyntheticRows.Task.Images.Count;
        var batches = (count + fixture.Model.BatchSize - 1) / fixture.Model.BatchSize;
        Assert.Equal(batches, reports.Count); // one per batch, the last at the end
        Assert.All(reports, r => Assert.Equal(("gallery embeddings", (long)count), (r.Stage, r.Total)));
        Assert.Equal(reports.Select(r => r.Done).Order(), reports.Select(r => r.Done));
        Assert.Equal(count, reports[^1].Done);
        Assert.Equal(reports.Select(r => r.Done), fromEmbeddings.Select(r => r.Done));
    }

    private sealed class SynchronousProgress(List<WorkProgress> reports) : IProgress<WorkProgress>
    {
        public void Report(WorkProgress value) => reports.Add(value);
    }

    [Fact]
    public void KBeyondTheGalleryReturnsTheWholeGalleryAndPathsWork()
    {
        using var folder = new Data.TemporaryFolder();
        SyntheticRows.WritePngs(folder.FullPath);
        var query = SyntheticRows.Task.Queries[0];

        var byPath = Engine.Search(Path.Combine(folder.FullPath, $"{query.Reference}.png"), query.Text, k: 10_000);
        using var image = SyntheticRows.Image(query.Reference);
        var byImage = Engine.Search(image, query.Text, k: 10_000);

        Assert.Equal(Engine.Count, byPath.Count);
        Assert.Equal(byImage, byPath);
    }

    [Fact]
    public void AnEngineOverPrecomputedEmbeddingsAnswersLikeOneThatEmbedsTheImages()
    {
        var gallery = SyntheticRows.Gallery(_ml);
        var embedded = _ml.Data.Cache(_ml.Transforms.EmbedGalleryImages(fixture.Model).Fit(gallery).Transform(gallery));
        using var fromEmbeddings = fixture.Model.CreateSearchEngineFromEmbeddings(embedded);
        var query = SyntheticRows.Task.Queries[1];
        using var image = SyntheticRows.Image(query.Reference);

        Assert.Equal(Engine.Search(image, query.Text, k: 7), fromEmbeddings.Search(image, query.Text, k: 7));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => fixture.Model.CreateSearchEngineFromEmbeddings(gallery, embeddingColumnName: "Image"));
        Assert.Contains("expected a known-size vector of Single", error.Message);
    }

    [Fact]
    public void ReducedPrecisionEnginesRankByTheirOwnScoresCloseToTheFloat32Ones()
    {
        var gallery = SyntheticRows.Gallery(_ml);
        var embedded = _ml.Data.Cache(_ml.Transforms.EmbedGalleryImages(fixture.Model).Fit(gallery).Transform(gallery));
        var query = SyntheticRows.Task.Queries[2];
        using var image = SyntheticRows.Image(query.Reference);
        var exact = Engine.Search(image, query.Text, k: Engine.Count).ToDictionary(r => r.ImageId, r => r.Score);
        var largest = exact.Values.Max(Math.Abs);
        Assert.Equal(GalleryPrecision.Single, Engine.GalleryPrecision);

        using var embeddedHalf = fixture.Model.CreateSearchEngine(gallery, galleryPrecision: GalleryPrecision.Half);
        foreach (var engine in new[] { embeddedHalf, fixture.Model.CreateSearchEngineFromEmbeddings(embedded, galleryPrecision: GalleryPrecision.Int8) })
            using (engine)
            {
                var results = engine.Search(image, query.Text, k: 10);

                Assert.Equal(engine == embeddedHalf ? GalleryPrecision.Half : GalleryPrecision.Int8, engine.GalleryPrecision);
                Assert.Equal(10, results.Count);
                Assert.True(results.Zip(results.Skip(1)).All(p => p.First.Score >= p.Second.Score), "scores are not best first");
                Assert.All(results, r => Assert.Equal(exact[r.ImageId], r.Score, 0.02 * largest));
            }
    }

    [Fact]
    public void RepeatedGalleryIdsAreRefused()
    {
        var gallery = _ml.Data.LoadFromEnumerable(new[] { 3, 4, 3 }
            .Select(i => new SyntheticRows.GalleryRow { ImageId = "same-" + (i == 4 ? "other" : "id"), Image = SyntheticRows.Image(i) }).ToList());

        var error = Assert.Throws<ArgumentException>(() => fixture.Model.CreateSearchEngine(gallery));
        Assert.Contains("'same-id' appears twice", error.Message);
    }

    public void Dispose()
    {
        if (_engine.IsValueCreated) _engine.Value.Dispose();
    }
}
