using Microsoft.ML;
using MLNet.ComposedRetrieval.Retrieval;
using MLNet.ComposedRetrieval.Tests.Pipeline;

namespace MLNet.ComposedRetrieval.Tests.Retrieval.PgVector;

/// <summary><see cref="GallerySearchEngine"/> over an <see cref="IGalleryStore"/>, with a trained model.</summary>
[Collection(TrainedModelCollection.Name)]
public sealed class GalleryStoreSearchEngineTests(TrainedModelFixture fixture, PgVectorServer server) : IClassFixture<PgVectorServer>
{
    private const int K = 10;
    private readonly MLContext _ml = fixture.ML;

    [Fact]
    public void TheModelChecksumIsThatOfItsFileAndSurvivesLoading()
    {
        using var folder = new Data.TemporaryFolder();
        var path = Path.Combine(folder.FullPath, "model.mlcr");
        var before = fixture.Model.ModelChecksum;

        fixture.Model.Save(path);
        using var loaded = ComposeImageTextTransformer.Load(_ml, path);

        Assert.Matches("^[0-9a-f]{64}$", before);
        Assert.Equal(ModelFile.ReadChecksum(path), before);
        Assert.Equal(before, loaded.ModelChecksum);
    }

    [Fact]
    public void AnEngineOverAStoreRefusesAnotherModelsEmbeddingsAndRanksLikeTheEngineItReplaces()
    {
        var (ids, values) = Embed();
        using var foreign = new InMemoryGalleryStore(ids, values, fixture.Model.EmbeddingDimension, modelChecksum: new string('0', 64));
        using var own = new InMemoryGalleryStore(ids, values, fixture.Model.EmbeddingDimension, modelChecksum: fixture.Model.ModelChecksum);

        var refused = Assert.Throws<GalleryStoreException>(() => fixture.Model.CreateSearchEngine(foreign));
        Assert.Equal(GalleryStoreFailure.ModelMismatch, refused.Failure);
        Assert.Contains(fixture.Model.ModelChecksum, refused.Message);

        using var overStore = fixture.Model.CreateSearchEngine(own);
        using var classic = fixture.Model.CreateSearchEngine(SyntheticRows.Gallery(_ml));
        foreach (var query in SyntheticRows.Task.Queries.Take(4))
        {
            using var image = SyntheticRows.Image(query.Reference);
            Assert.Equal(classic.Search(image, query.Text, K, query.Reference.ToString()),
                overStore.Search(image, query.Text, K, query.Reference.ToString()));
        }
        // The engine does not own a store it was given.
        overStore.Dispose();
        Assert.Equal(ids.Length, own.Count);
        Assert.Single(own.Search([new GalleryStoreQuery(values.AsMemory(0, fixture.Model.EmbeddingDimension))], 1));
    }

    [SkippableFact]
    public async Task TheGalleryPutIntoPostgreSqlGivesTheInMemoryEnginesTop10()
    {
        server.Require();
        var gallery = SyntheticRows.Gallery(_ml);
        var embedded = _ml.Transforms.EmbedGalleryImages(fixture.Model).Fit(gallery).Transform(gallery);
        var options = new PgVectorGalleryOptions { Collection = $"t_engine_{Environment.ProcessId}", IngestBatchSize = 40 };
        await using var store = await PgVectorGalleryStore.OpenAsync(server.ConnectionString, fixture.Model.ModelChecksum,
            fixture.Model.EmbeddingDimension, options);
        var ingested = await store.IngestAsync(embedded);
        Assert.Equal(SyntheticRows.Task.Images.Count, ingested.Inserted);

        using var database = fixture.Model.CreateSearchEngine(store);
        using var memory = fixture.Model.CreateSearchEngine(gallery, galleryPrecision: GalleryPrecision.Half);
        Assert.Equal(GalleryPrecision.Half, database.GalleryPrecision);
        Assert.Equal(memory.Count, database.Count);
        var queries = SyntheticRows.Task.Queries.Take(6).ToList();
        foreach (var query in queries)
        {
            using var image = SyntheticRows.Image(query.Reference);
            var expected = memory.Search(image, query.Text, K, query.Reference.ToString());
            var found = await database.SearchAsync(image, query.Text, K, query.Reference.ToString());
            Assert.Equal(expected.Select(r => r.ImageId), found.Select(r => r.ImageId));
            for (var r = 0; r < K; r++) Assert.Equal(expected[r].Score, found[r].Score, 1e-3f);
        }

        // The lazy data-view search runs through the store too.
        var rows = SyntheticRows.Triplets(_ml, queries);
        var fromDatabase = DataViewColumns.TextVectors(database.Search(rows, K, "ReferenceImageId"), GallerySearchEngine.DefaultResultIdsColumnName);
        var fromMemory = DataViewColumns.TextVectors(memory.Search(rows, K, "ReferenceImageId"), GallerySearchEngine.DefaultResultIdsColumnName);
        Assert.Equal(fromMemory, fromDatabase);
        Assert.Throws<NotSupportedException>(() => database.ImageIds);
        await PgVectorGalleryStore.DropAsync(server.ConnectionString, options.Collection);
    }

    /// <summary>A gallery folder into the store (the web app's and the query command's <c>--store</c>): embedded through
    /// the folder cache, then only what the store lacks is added.</summary>
    [SkippableFact]
    public async Task AGalleryFolderGoesIntoTheStoreOnceAndAnswersLikeTheFolderEngine()
    {
        server.Require();
        using var folder = new Data.TemporaryFolder();
        var (gallery, modelPath, cache) = SyntheticRows.WriteGalleryFolder(folder.FullPath, fixture.Model);
        var options = new PgVectorGalleryOptions { Collection = $"t_folder_{Environment.ProcessId}", IngestBatchSize = 16 };
        await using var store = await PgVectorGalleryStore.OpenAsync(server.ConnectionString, fixture.Model.ModelChecksum,
            fixture.Model.EmbeddingDimension, options);

        var first = await store.IngestGalleryFolderAsync(fixture.Model, modelPath, gallery, cache);
        var second = await store.IngestGalleryFolderAsync(fixture.Model, modelPath, gallery, cache);

        Assert.Equal(gallery.Ids.Count, first!.Inserted);
        Assert.Null(second);
        Assert.Equal(gallery.Ids.Count, await store.CountAsync());
        using var database = fixture.Model.CreateSearchEngine(store);
        using var memory = fixture.Model.CreateSearchEngine(gallery, modelPath, cache, GalleryPrecision.Half);
        foreach (var query in SyntheticRows.Task.Queries.Take(3))
        {
            using var image = SyntheticRows.Image(query.Reference);
            Assert.Equal(memory.Search(image, query.Text, K, query.Reference.ToString()).Select(r => r.ImageId),
                database.Search(image, query.Text, K, query.Reference.ToString()).Select(r => r.ImageId));
        }
        await PgVectorGalleryStore.DropAsync(server.ConnectionString, options.Collection);
    }

    private (string[] Ids, float[] Values) Embed()
    {
        var gallery = SyntheticRows.Gallery(_ml);
        var embedded = _ml.Transforms.EmbedGalleryImages(fixture.Model).Fit(gallery).Transform(gallery);
        var items = embedded.ReadGalleryItems().ToArray();
        return (items.Select(i => i.Id).ToArray(), items.SelectMany(i => i.Embedding.ToArray()).ToArray());
    }
}
