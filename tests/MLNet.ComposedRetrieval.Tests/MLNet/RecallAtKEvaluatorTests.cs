using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.ComposedRetrieval.Retrieval;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Pipeline;

[Collection(TrainedModelCollection.Name)]
public class RecallAtKEvaluatorTests(TrainedModelFixture fixture)
{
    private readonly MLContext _ml = fixture.ML;

    [Fact]
    public void TheEvaluatorGivesExactlyWhatRecallAtKComputesOnTheSameEmbeddings()
    {
        var queries = fixture.Model.Transform(SyntheticRows.Triplets(_ml, SyntheticRows.Task.Queries));
        var galleryView = SyntheticRows.Gallery(_ml);
        var gallery = _ml.Transforms.EmbedGalleryImages(fixture.Model).Fit(galleryView).Transform(galleryView);

        var metrics = _ml.Ranking.EvaluateRecallAtK(queries, gallery, ks: [1, 5, 10, 50]);

        var queryVectors = DataViewColumns.Vectors(queries, "QueryEmbedding");
        using var index = GalleryIndex.FromRows(DataViewColumns.Texts(gallery, "ImageId"), DataViewColumns.Vectors(gallery, "ImageEmbedding"));
        using var scope = NewDisposeScope();
        var direct = RecallAtK.Compute(index, tensor(queryVectors.SelectMany(v => v).ToArray(), [queryVectors.Length, queryVectors[0].Length]),
            DataViewColumns.Texts(queries, "ReferenceImageId"),
            DataViewColumns.Texts(queries, "TargetImageIds").Select(t => (IReadOnlyCollection<string>)[t]).ToList(), [1, 5, 10, 50]);

        Assert.Equal([1, 5, 10, 50], metrics.Ks);
        Assert.Equal(direct.Recalls.Select(r => r / 100), metrics.Recall);
        Assert.Equal(SyntheticRows.Task.Queries.Count, metrics.QueryCount);
        Assert.Equal(SyntheticRows.Task.Images.Count, metrics.GallerySize);
        Assert.Equal(direct.RecallAt(10) / 100, metrics.RecallAt(10));
        Assert.Throws<ArgumentOutOfRangeException>(() => metrics.RecallAt(2));
        Assert.IsNotType<double[]>(metrics.Recall);
    }

    // Hand-made 2-d embeddings: each query points exactly at its own reference image, then at its target.
    private static readonly GalleryItem[] Compass =
    [
        new() { ImageId = "east", ImageEmbedding = [1, 0] },
        new() { ImageId = "north-east", ImageEmbedding = [0.8f, 0.6f] },
        new() { ImageId = "north", ImageEmbedding = [0, 1] },
        new() { ImageId = "west", ImageEmbedding = [-1, 0] },
    ];

    private static readonly QueryItem[] CompassQueries =
    [
        new() { QueryEmbedding = [1, 0], ReferenceImageId = "east", TargetImageIds = "north-east", Targets = ["north-east"] },
        new() { QueryEmbedding = [0, 1], ReferenceImageId = "north", TargetImageIds = "west;north-east", Targets = ["west", "north-east"] },
        new() { QueryEmbedding = [-1, 0], ReferenceImageId = "west", TargetImageIds = "east", Targets = ["east"] },
    ];

    [Fact]
    public void TheReferenceIsRemovedFromItsOwnRankingUnlessNoColumnIsGiven()
    {
        var gallery = _ml.Data.LoadFromEnumerable(Compass);
        var queries = _ml.Data.LoadFromEnumerable(CompassQueries);

        var protocol = _ml.Ranking.EvaluateRecallAtK(queries, gallery, ks: [1, 3]);
        var withoutExclusion = _ml.Ranking.EvaluateRecallAtK(queries, gallery, referenceImageIdColumnName: null, ks: [1, 3]);
        var vectorTargets = _ml.Ranking.EvaluateRecallAtK(queries, gallery, targetImageIdsColumnName: nameof(QueryItem.Targets), ks: [1, 3]);

        // Without their references: north-east first for queries 1 and 2; query 3 finds east only at rank 3.
        Assert.Equal(2 / 3.0, protocol.RecallAt(1), 12);
        Assert.Equal(1.0, protocol.RecallAt(3), 12);
        // With them, every query's own reference ranks first.
        Assert.Equal(0.0, withoutExclusion.RecallAt(1), 12);
        Assert.Equal(2 / 3.0, withoutExclusion.RecallAt(3), 12);
        Assert.Equal(protocol.Recall, vectorTargets.Recall);
        Assert.Equal(4, protocol.GallerySize);
        Assert.Equal(3, protocol.QueryCount);
        Assert.Contains("R@1 66.67%", protocol.ToString());
    }

    [Fact]
    public void QueriesWhoseTargetsAreNotInTheGalleryAreCountedAndLogged()
    {
        var ml = new MLContext(seed: 1);
        var warnings = new List<string>();
        ml.Log += (_, e) => { if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning) lock (warnings) warnings.Add(e.Message); };
        var gallery = ml.Data.LoadFromEnumerable(Compass);
        var complete = ml.Ranking.EvaluateRecallAtK(ml.Data.LoadFromEnumerable(CompassQueries), gallery, ks: [1, 3]);
        Assert.Equal((0, 0), (complete.QueriesWithoutGalleryTarget, complete.MissingTargetCount));
        Assert.Empty(warnings);

        // A fourth query whose only target is absent, and a second query with one of two targets absent.
        QueryItem[] withMissing = [
            .. CompassQueries.Take(1),
            new() { QueryEmbedding = [0, 1], ReferenceImageId = "north", TargetImageIds = "south-west;north-east", Targets = ["south-west", "north-east"] },
            .. CompassQueries.Skip(2),
            new() { QueryEmbedding = [0, -1], ReferenceImageId = "west", TargetImageIds = "south", Targets = ["south"] },
        ];
        var metrics = ml.Ranking.EvaluateRecallAtK(ml.Data.LoadFromEnumerable(withMissing), gallery, ks: [1, 3]);

        Assert.Equal(1, metrics.QueriesWithoutGalleryTarget);
        Assert.Equal(2, metrics.MissingTargetCount);
        Assert.Equal(0.75, metrics.RecallAt(3), 12); // the query without a target in the gallery is a miss
        Assert.Contains("1 without a target in the gallery, 2 target ids missing", metrics.ToString());
        var warning = Assert.Single(warnings);
        Assert.Contains("1 of 4 queries have no target in the gallery", warning);
        Assert.Contains("'south-west' of query 1", warning);
    }

    [Theory]
    [InlineData(GalleryPrecision.Half)]
    [InlineData(GalleryPrecision.Int8)]
    public void AReducedPrecisionGalleryIsEvaluatedLikeASearchEngineWithIt(GalleryPrecision precision)
    {
        var gallery = _ml.Data.LoadFromEnumerable(Compass);
        var queries = _ml.Data.LoadFromEnumerable(CompassQueries);

        var reduced = _ml.Ranking.EvaluateRecallAtK(queries, gallery, ks: [1, 3], galleryPrecision: precision);

        // The compass is too coarse for the rounding to reorder it.
        Assert.Equal(_ml.Ranking.EvaluateRecallAtK(queries, gallery, ks: [1, 3]).Recall, reduced.Recall);
    }

    [Fact]
    public void ColumnProblemsAreNamed()
    {
        var gallery = _ml.Data.LoadFromEnumerable(Compass);
        var queries = _ml.Data.LoadFromEnumerable(CompassQueries);
        var wide = _ml.Data.LoadFromEnumerable(new[] { new WideGalleryItem { ImageId = "a", ImageEmbedding = [1, 0, 0] } });

        var missing = Assert.Throws<ArgumentOutOfRangeException>(() => _ml.Ranking.EvaluateRecallAtK(queries, gallery, targetImageIdsColumnName: "Answers"));
        Assert.Contains("'Answers'", missing.Message);
        var wrongType = Assert.Throws<ArgumentOutOfRangeException>(() => _ml.Ranking.EvaluateRecallAtK(queries, gallery, queryEmbeddingColumnName: "ReferenceImageId"));
        Assert.Contains("found String", wrongType.Message);
        var mismatch = Assert.Throws<ArgumentException>(() => _ml.Ranking.EvaluateRecallAtK(queries, wide));
        Assert.Contains("has 2 values per row", mismatch.Message);
        Assert.Contains("has 3", mismatch.Message);
    }

    private sealed class GalleryItem
    {
        public string ImageId { get; set; } = "";

        [VectorType(2)]
        public float[] ImageEmbedding { get; set; } = [];
    }

    private sealed class WideGalleryItem
    {
        public string ImageId { get; set; } = "";

        [VectorType(3)]
        public float[] ImageEmbedding { get; set; } = [];
    }

    private sealed class QueryItem
    {
        [VectorType(2)]
        public float[] QueryEmbedding { get; set; } = [];

        public string ReferenceImageId { get; set; } = "";

        public string TargetImageIds { get; set; } = "";

        public string[] Targets { get; set; } = [];
    }
}
