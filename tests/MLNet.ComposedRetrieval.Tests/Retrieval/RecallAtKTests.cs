using MLNet.ComposedRetrieval.Retrieval;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Retrieval;

public class RecallAtKTests
{
    private static GalleryRanking Ranking(params string[] ids) => new(ids, ids.Select((_, i) => -(float)i).ToArray());

    [Fact]
    public void CountsQueriesWithAnyTargetInTheTopK()
    {
        GalleryRanking[] rankings =
        [
            Ranking("a", "b", "c", "d"), // target at rank 1
            Ranking("b", "c", "a", "d"), // targets at ranks 2 and 3: the first counts
            Ranking("c", "d", "b", "a"), // target at rank 4
            Ranking("d", "c", "b", "a"), // target not in the gallery
        ];
        string[][] targets = [["a"], ["c", "a"], ["a"], ["zz"]];

        var result = RecallAtK.Compute(rankings, targets, ks: [10, 1, 2], gallerySize: 4);

        Assert.Equal([1, 2, 10], result.Ks);
        Assert.Equal([25.0, 50.0, 75.0], result.Recalls);
        Assert.Equal(50.0, result.RecallAt(2));
        Assert.Equal(4, result.QueryCount);
        Assert.Equal(4, result.GallerySize);
        Assert.Equal("R@1 25.00, R@2 50.00, R@10 75.00 (4 queries, gallery of 4)", result.ToString());
        Assert.Contains("available K: 1, 2, 10", Assert.Throws<ArgumentException>(() => result.RecallAt(50)).Message);
    }

    [Fact]
    public void SearchesTheIndexWithTheReferenceExcluded()
    {
        using var scope = NewDisposeScope();
        using var index = GalleryIndex.FromRows(["ref", "t1", "t2", "other"], [[1, 0], [0.8f, 0.6f], [0, 1], [0.6f, 0.8f]]);
        var queries = tensor(new float[,] { { 1, 0 }, { 1, 0 }, { 1, 0 } });

        // Each query's own image "ref" would be rank 1 without the exclusion.
        // Query 0: target t1 at rank 1 after the exclusion. Query 1: targets t2 (rank 3) or other (rank 2).
        // Query 2: its only target is its own reference, which is never ranked: a miss even at K = 50.
        var result = RecallAtK.Compute(index, queries, ["ref", "ref", "ref"], [["t1"], ["t2", "other"], ["ref"]], [1, 2, 50]);

        Assert.Equal([100.0 / 3, 200.0 / 3, 200.0 / 3], result.Recalls);
        Assert.Equal(3, result.QueryCount);
        Assert.Equal(4, result.GallerySize);
    }

    [Fact]
    public void TargetsMissingFromTheGalleryAreReportedWithTheFigures()
    {
        using var scope = NewDisposeScope();
        using var index = GalleryIndex.FromRows(["ref", "t1"], [[1, 0], [0, 1]]);
        var queries = tensor(new float[,] { { 0, 1 }, { 0, 1 } });

        var result = RecallAtK.Compute(index, queries, ["ref", "ref"], [["t1", "gone"], ["lost"]], [1]);

        Assert.Equal([50.0], result.Recalls);
        Assert.Equal(new GalleryCoverage(1, 2, (0, "gone")), result.Coverage);
        // What the experiment's commands print.
        Assert.Contains("warning: 1 of 2 queries have no target in the gallery", result.ToString());
        var complete = RecallAtK.Compute(index, queries, ["ref", "ref"], [["t1"], ["t1"]], [1]);
        Assert.DoesNotContain("warning", complete.ToString());
    }

    [Fact]
    public void WithoutExclusionTheReferenceCountsLikeAnyImage()
    {
        using var scope = NewDisposeScope();
        using var index = GalleryIndex.FromRows(["ref", "t1"], [[1, 0], [0, 1]]);

        var result = RecallAtK.Compute(index, tensor(new float[,] { { 1, 0 } }), referenceIds: null, [["ref"]], [1]);

        Assert.Equal([100.0], result.Recalls);
    }

    [Fact]
    public void EmptyOrInvalidInputsAreRejectedByName()
    {
        GalleryRanking[] one = [Ranking("a", "b")];
        string[][] targets = [["a"]];

        Assert.Contains("No K values", Assert.Throws<ArgumentException>(() => RecallAtK.Compute(one, targets, [], 2)).Message);
        Assert.Contains("K must be > 0; found 0", Assert.Throws<ArgumentException>(() => RecallAtK.Compute(one, targets, [0, 1], 2)).Message);
        Assert.Contains("K = 5 is listed twice", Assert.Throws<ArgumentException>(() => RecallAtK.Compute(one, targets, [5, 5], 2)).Message);
        Assert.Contains("no queries", Assert.Throws<ArgumentException>(() => RecallAtK.Compute([], [], [1], 2)).Message);
        Assert.Contains("gallery is empty", Assert.Throws<ArgumentException>(() => RecallAtK.Compute(one, targets, [1], 0)).Message);
        Assert.Contains("1 rankings but 2 target id sets", Assert.Throws<ArgumentException>(() => RecallAtK.Compute(one, [["a"], ["b"]], [1], 2)).Message);
        Assert.Contains("Query 0 has no target id", Assert.Throws<ArgumentException>(() => RecallAtK.Compute(one, [[]], [1], 2)).Message);
        Assert.Contains("query 0 holds 2 images", Assert.Throws<ArgumentException>(() => RecallAtK.Compute(one, targets, [10], 100)).Message);

        using var scope = NewDisposeScope();
        using var index = GalleryIndex.FromRows(["a"], [[1f]]);
        Assert.Contains("no queries", Assert.Throws<ArgumentException>(() => RecallAtK.Compute(index, zeros(0, 1), null, [], [1])).Message);
    }
}
