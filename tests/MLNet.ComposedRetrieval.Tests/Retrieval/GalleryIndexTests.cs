using MLNet.ComposedRetrieval.Retrieval;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Retrieval;

public class GalleryIndexTests
{
    private static readonly string[] CompassIds = ["east", "north", "north-east", "west"];
    private static readonly float[][] Compass = [[1, 0], [0, 1], [0.6f, 0.8f], [-1, 0]];

    [Fact]
    public void RanksByDotProductBestFirst()
    {
        using var index = GalleryIndex.FromRows(CompassIds, Compass);

        var ranking = Assert.Single(index.Search([[1f, 0f]], k: 3));

        Assert.Equal(["east", "north-east", "north"], ranking.Ids);
        Assert.Equal([1f, 0.6f, 0f], ranking.Scores);
        Assert.Equal(4, index.Count);
        Assert.Equal(2, index.Dimension);
    }

    [Fact]
    public void KLargerThanTheGalleryReturnsTheWholeGallery()
    {
        using var index = GalleryIndex.FromRows(CompassIds, Compass);

        var ranking = Assert.Single(index.Search([[0f, 1f]], k: 50));

        Assert.Equal(["north", "north-east", "east", "west"], ranking.Ids);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    [InlineData(4, 7)]
    [InlineData(16384, 256)]
    public void TiesFollowGalleryOrderWhateverTheChunking(int galleryChunkSize, int queryBatchSize)
    {
        string[] ids = ["g0", "g1", "g2", "g3", "g4", "g5"];
        float[][] rows = [[0, 1], [1, 0], [1, 0], [0.5f, 0], [1, 0], [1, 0]];
        using var index = GalleryIndex.FromRows(ids, rows, galleryChunkSize, queryBatchSize);
        float[] query = [1, 0];

        // g1, g2, g4 and g5 tie at 1: the cut at K = 2 and K = 3 must keep the earliest ones.
        Assert.Equal(["g1", "g2"], index.Search([query], k: 2)[0].Ids);
        Assert.Equal(["g1", "g2", "g4"], index.Search([query], k: 3)[0].Ids);
        Assert.Equal(["g1", "g2", "g4", "g5", "g3", "g0"], index.Search([query], k: 6)[0].Ids);
    }

    [Fact]
    public void AManyWayTieKeepsTheFirstImages()
    {
        var ids = Enumerable.Range(0, 1000).Select(i => $"img{i}").ToArray();
        var rows = Enumerable.Range(0, 1000).Select(i => i == 700 ? new float[] { 2, 0 } : new float[] { 1, 0 }).ToArray();
        using var index = GalleryIndex.FromRows(ids, rows, galleryChunkSize: 128);

        var ranking = index.Search([[1f, 0f]], k: 10)[0];

        Assert.Equal(new[] { "img700" }.Concat(Enumerable.Range(0, 9).Select(i => $"img{i}")), ranking.Ids);
    }

    [Theory]
    [InlineData(7, 3)]
    [InlineData(64, 64)]
    [InlineData(1000, 5)]
    public void MatchesABruteForceRankingWithManyTies(int galleryChunkSize, int queryBatchSize)
    {
        // Entries in {-1, 0, 1} make integer scores, exact in float32, with many ties.
        var random = new Random(7);
        float[] Row() => Enumerable.Range(0, 4).Select(_ => (float)random.Next(-1, 2)).ToArray();
        var rows = Enumerable.Range(0, 200).Select(_ => Row()).ToArray();
        var ids = Enumerable.Range(0, rows.Length).Select(i => $"g{i}").ToArray();
        var queries = Enumerable.Range(0, 30).Select(_ => Row()).ToArray();
        var excluded = queries.Select((_, q) => q % 3 == 0 ? null : ids[random.Next(rows.Length)]).ToArray();
        using var index = GalleryIndex.FromRows(ids, rows, galleryChunkSize, queryBatchSize);

        var rankings = index.Search(queries, k: 25, excluded);

        for (var q = 0; q < queries.Length; q++)
        {
            var expected = Enumerable.Range(0, rows.Length)
                .Where(i => ids[i] != excluded[q])
                .Select(i => (Id: ids[i], Score: rows[i].Zip(queries[q], (a, b) => a * b).Sum(), Position: i))
                .OrderByDescending(x => x.Score).ThenBy(x => x.Position)
                .Take(25).ToArray();
            Assert.Equal(expected.Select(x => x.Id), rankings[q].Ids);
            Assert.Equal(expected.Select(x => x.Score), rankings[q].Scores);
        }
    }

    [Theory]
    [InlineData(null, 256, 0, 0)]      // matmul path, automatic chunks
    [InlineData(1000, 64, 0, 0)]       // matmul path, several chunks
    [InlineData(33, 17, 0, 0)]         // matmul path, chunks not a multiple of the cache line
    [InlineData(null, 3, 16, 1)]       // streaming path, one thread
    [InlineData(null, 7, 16, 3)]       // streaming path, three slices merged
    [InlineData(null, 24, 24, 2)]      // streaming path, every query at once, two slices
    public void MatchesABruteForceRankingOnALargerGallery(int? galleryChunkSize, int queryBatchSize, int streamingLimit, int threads)
    {
        // Integer scores tied at every value, so the vectorised pass meets ties at its bar all the time, and
        // enough rows for the streaming path to split the gallery between threads.
        var random = new Random(11);
        float[] Row() => Enumerable.Range(0, 6).Select(_ => (float)random.Next(-2, 3)).ToArray();
        var rows = Enumerable.Range(0, 50_000).Select(_ => Row()).ToArray();
        var ids = Enumerable.Range(0, rows.Length).Select(i => $"g{i}").ToArray();
        var queries = Enumerable.Range(0, 24).Select(_ => Row()).ToArray();
        var excluded = queries.Select((_, q) => q % 4 == 0 ? null : ids[random.Next(rows.Length)]).ToArray();
        using var index = new GalleryIndex(ids, tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, 6]), galleryChunkSize, queryBatchSize)
        {
            StreamingQueryLimit = streamingLimit, StreamingThreads = threads,
        };

        var rankings = index.Search(queries, k: 60, excluded);

        for (var q = 0; q < queries.Length; q++)
        {
            var scores = new float[rows.Length];
            for (var i = 0; i < rows.Length; i++)
                for (var d = 0; d < 6; d++) scores[i] += rows[i][d] * queries[q][d];
            var expected = Enumerable.Range(0, rows.Length)
                .Where(i => ids[i] != excluded[q])
                .OrderByDescending(i => scores[i]).ThenBy(i => i)
                .Take(60).ToArray();
            Assert.Equal(expected.Select(i => ids[i]), rankings[q].Ids);
            Assert.Equal(expected.Select(i => scores[i]), rankings[q].Scores);
        }
    }

    [Fact]
    public void TheExcludedReferenceLeavesItsOwnRanking()
    {
        using var index = GalleryIndex.FromRows(CompassIds, Compass);
        float[][] queries = [[1, 0], [1, 0], [1, 0]];

        var rankings = index.Search(queries, k: 2, ["east", null, "not-in-gallery"]);
        var all = index.Search(queries.Take(1).ToArray(), k: 10, ["east"]);

        Assert.Equal(["north-east", "north"], rankings[0].Ids); // "east" would be rank 1
        Assert.Equal(["east", "north-east"], rankings[1].Ids);
        Assert.Equal(["east", "north-east"], rankings[2].Ids);
        Assert.Equal(["north-east", "north", "west"], all[0].Ids);
    }

    [Fact]
    public void TensorQueriesOfAnyFloatTypeAreAccepted()
    {
        using var scope = NewDisposeScope();
        using var index = new GalleryIndex(CompassIds, tensor(new double[,] { { 1, 0 }, { 0, 1 }, { 0.6, 0.8 }, { -1, 0 } }));

        var rankings = index.Search(tensor(new double[,] { { 0, -1 }, { -1, 0 } }), k: 1);

        Assert.Equal("east", rankings[0].Ids[0]); // ties at 0 with "west": gallery order
        Assert.Equal("west", rankings[1].Ids[0]);
        Assert.Empty(index.Search(Array.Empty<float[]>(), k: 1));
    }

    [Fact]
    public void ADisposedIndexRefusesToSearch()
    {
        var index = GalleryIndex.FromRows(CompassIds, Compass);
        index.Dispose();

        Assert.Throws<ObjectDisposedException>(() => index.Search([[1f, 0f]], k: 1));
    }

    [Fact]
    public void BadGalleriesAndQueriesAreRejected()
    {
        using var scope = NewDisposeScope();
        Assert.Contains("N > 0", Assert.Throws<ArgumentException>(() => new GalleryIndex([], zeros(0, 2))).Message);
        Assert.Contains("appears twice", Assert.Throws<ArgumentException>(() => GalleryIndex.FromRows(["a", "a"], [[1f], [2f]])).Message);
        Assert.Contains("2 embeddings but 1 ids", Assert.Throws<ArgumentException>(() => GalleryIndex.FromRows(["a"], [[1f], [2f]])).Message);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => GalleryIndex.FromRows(["a"], [[float.NaN]])).Message);
        using var index = GalleryIndex.FromRows(CompassIds, Compass);
        Assert.Contains("[Q, 2]", Assert.Throws<ArgumentException>(() => index.Search([[1f, 0f, 0f]], k: 1)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Search([[1f, 0f]], k: 0));
        Assert.Contains("1 queries but 2 excluded ids", Assert.Throws<ArgumentException>(() => index.Search([[1f, 0f]], 1, ["a", "b"])).Message);
    }
}
