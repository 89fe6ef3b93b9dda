using MLNet.ComposedRetrieval.Retrieval;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Retrieval;

public class GalleryIndexPrecisionTests
{
    private static readonly string[] CompassIds = ["east", "north", "north-east", "west"];
    private static readonly float[][] Compass = [[1, 0], [0, 1], [0.6f, 0.8f], [-1, 0]];

    public static TheoryData<GalleryPrecision> ReducedPrecisions => [GalleryPrecision.Half, GalleryPrecision.Int8];

    [Theory]
    [InlineData(GalleryPrecision.Half, 40, int.MaxValue, 1, 3)]   // streaming, one thread; 3 queries a batch: rows widened in the dot products
    [InlineData(GalleryPrecision.Half, 40, int.MaxValue, 3, 7)]   // streaming, three threads; 7 a batch: blocks widened, float32 tiles
    [InlineData(GalleryPrecision.Half, 40, 0, 0, 64)]             // chunked matmuls
    [InlineData(GalleryPrecision.Int8, 40, int.MaxValue, 1, 3)]
    [InlineData(GalleryPrecision.Int8, 40, int.MaxValue, 3, 24)]
    [InlineData(GalleryPrecision.Int8, 4, 0, 0, 64)]              // matmuls sum in float32: exact while sums stay below 2^24
    public void SearchMatchesABruteForceRankingInTheStoredPrecision(GalleryPrecision precision, int dimension, int streamingLimit,
        int threads, int queryBatchSize)
    {
        // Values in {-2, ..., 2}: many ties at every score, and enough rows for the streaming path to split the gallery.
        var random = new Random(13);
        float[] Row() => Enumerable.Range(0, dimension).Select(_ => (float)random.Next(-2, 3)).ToArray();
        var rows = Enumerable.Range(0, 50_000).Select(_ => Row()).ToArray();
        var ids = Enumerable.Range(0, rows.Length).Select(i => $"g{i}").ToArray();
        var queries = Enumerable.Range(0, 24).Select(_ => Row()).ToArray();
        var excluded = queries.Select((_, q) => q % 4 == 0 ? null : ids[random.Next(rows.Length)]).ToArray();
        using var index = new GalleryIndex(ids, tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, dimension]),
            galleryChunkSize: 1000, queryBatchSize, precision)
        {
            StreamingQueryLimit = streamingLimit, StreamingThreads = threads,
        };

        var rankings = index.Search(queries, k: 60, excluded);

        var scores = ReferenceScores(rows, queries, precision);
        for (var q = 0; q < queries.Length; q++)
        {
            var expected = Enumerable.Range(0, rows.Length)
                .Where(i => ids[i] != excluded[q])
                .OrderByDescending(i => scores[q][i]).ThenBy(i => i)
                .Take(60).ToArray();
            Assert.Equal(expected.Select(i => ids[i]), rankings[q].Ids);
            Assert.Equal(expected.Select(i => scores[q][i]), rankings[q].Scores);
        }
    }

    [Theory]
    [MemberData(nameof(ReducedPrecisions))]
    public void KExclusionAndTiesKeepTheirMeaning(GalleryPrecision precision)
    {
        using (var compass = GalleryIndex.FromRows(CompassIds, Compass, precision: precision))
        {
            float[][] east = [[1, 0], [1, 0], [1, 0]];
            var rankings = compass.Search(east, k: 50, ["east", null, "not-in-gallery"]);

            Assert.Equal(["north-east", "north", "west"], rankings[0].Ids); // K beyond the gallery, its reference left out
            Assert.Equal(["east", "north-east", "north", "west"], rankings[1].Ids);
            Assert.Equal(rankings[1].Ids, rankings[2].Ids);
            Assert.Equal(1f, rankings[1].Scores[0], 1e-4f);
            Assert.Equal(0.6f, rankings[1].Scores[1], 5e-3f);
        }

        string[] ids = ["g0", "g1", "g2", "g3", "g4", "g5"];
        float[][] rows = [[0, 1], [1, 0], [1, 0], [0.5f, 0], [1, 0], [1, 0]];
        using var tied = GalleryIndex.FromRows(ids, rows, precision: precision);
        Assert.Equal(["g1", "g2"], tied.Search([[1f, 0f]], k: 2)[0].Ids); // four-way tie at 1: the earliest are kept
        Assert.Equal(["g1", "g2", "g4"], tied.Search([[1f, 0f]], k: 3)[0].Ids);
        Assert.Equal(["g2", "g4", "g5", "g3"], tied.Search([[1f, 0f]], k: 4, ["g1"])[0].Ids);
        Assert.Equal(ids, tied.Search([[0f, 0f]], k: 6)[0].Ids); // a zero query ties everything at 0
    }

    [Theory]
    [InlineData(GalleryPrecision.Single, 4)]
    [InlineData(GalleryPrecision.Half, 2)]
    [InlineData(GalleryPrecision.Int8, 1)]
    public void TheIndexStoresItsPrecision(GalleryPrecision precision, int bytesPerValue)
    {
        var rows = Enumerable.Range(0, 10).Select(i => Enumerable.Range(0, 8).Select(d => (float)(i - d)).ToArray()).ToArray();

        using var index = GalleryIndex.FromRows(rows.Select((_, i) => $"g{i}").ToArray(), rows, precision: precision);

        Assert.Equal(precision, index.Precision);
        Assert.Equal(10 * 8 * bytesPerValue + (precision == GalleryPrecision.Int8 ? 10 * sizeof(float) : 0), index.StoredBytes);
    }

    [Fact]
    public void HalfRefusesValuesItCannotHold()
    {
        using (var largest = GalleryIndex.FromRows(["a"], [[65504f, -65504f]], precision: GalleryPrecision.Half))
            Assert.Equal(65504f * 2, largest.Search([[1f, -1f]], k: 1)[0].Scores[0]);

        var error = Assert.Throws<ArgumentException>(() => GalleryIndex.FromRows(["a", "b"], [[1f, 0f], [0f, 70000f]], precision: GalleryPrecision.Half));
        Assert.Contains("65504", error.Message);
        foreach (var precision in new[] { GalleryPrecision.Half, GalleryPrecision.Int8 })
            Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => GalleryIndex.FromRows(["a"], [[float.NaN]], precision: precision)).Message);
    }

    [Theory]
    [MemberData(nameof(ReducedPrecisions))]
    public void ScoresStayWithinTheQuantisationErrorOfTheFloat32Ones(GalleryPrecision precision)
    {
        var random = new Random(21);
        const int dimension = 64, count = 2000;
        float[] UnitRow()
        {
            var row = Enumerable.Range(0, dimension).Select(_ => random.NextSingle() - 0.5f).ToArray();
            var norm = MathF.Sqrt(row.Sum(v => v * v));
            return row.Select(v => v / norm).ToArray();
        }
        var rows = Enumerable.Range(0, count).Select(_ => UnitRow()).ToArray();
        var ids = rows.Select((_, i) => $"g{i}").ToArray();
        var queries = Enumerable.Range(0, 5).Select(_ => UnitRow()).ToArray();
        using var index = GalleryIndex.FromRows(ids, rows, precision: precision);

        var rankings = index.Search(queries, k: count);

        for (var q = 0; q < queries.Length; q++)
            for (var i = 0; i < count; i++)
            {
                var row = rows[int.Parse(rankings[q].Ids[i].AsSpan(1))];
                var exact = row.Zip(queries[q], (a, b) => (double)a * b).Sum();
                // Half: each value within 2^-11 of itself. Int8: each row value within half a step, max|x| / 254, and
                // each query value within max|q| / 65534.
                var bound = precision == GalleryPrecision.Half
                    ? row.Zip(queries[q], (a, b) => Math.Abs((double)a * b)).Sum() * Math.Pow(2, -11)
                    : queries[q].Sum(v => Math.Abs(v)) * row.Max(Math.Abs) / 254 + row.Sum(v => Math.Abs(v)) * queries[q].Max(Math.Abs) / 65534;
                Assert.True(Math.Abs(rankings[q].Scores[i] - exact) <= bound + 1e-5, $"query {q}, {rankings[q].Ids[i]}: {rankings[q].Scores[i]} vs {exact}, bound {bound}");
            }
    }

    /// <summary>Every query's score for every row, computed as the index defines it for <paramref name="precision"/>.</summary>
    private static float[][] ReferenceScores(float[][] rows, float[][] queries, GalleryPrecision precision)
    {
        var dimension = rows[0].Length;
        if (precision == GalleryPrecision.Half)
            return queries.Select(query => rows.Select(row =>
            {
                var sum = 0f;
                for (var d = 0; d < dimension; d++) sum += (float)(Half)row[d] * query[d];
                return sum;
            }).ToArray()).ToArray();

        using var scope = NewDisposeScope();
        var (values, scales) = Int8Quantization.QuantizeRows(tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, dimension]));
        var rowValues = values.to(ScalarType.Int32).data<int>().ToArray();
        var rowScales = scales.data<float>().ToArray();
        var quantised = Int8Quantization.QuantizeQueries(queries.SelectMany(q => q).ToArray(), queries.Length, dimension);
        return Enumerable.Range(0, queries.Length).Select(q => Enumerable.Range(0, rows.Length).Select(r =>
        {
            var dot = 0;
            for (var d = 0; d < dimension; d++) dot += rowValues[r * dimension + d] * quantised.Values[q * dimension + d];
            return Int8BlockDotProducts.Score(dot, rowScales[r], quantised.Scales[q]);
        }).ToArray()).ToArray();
    }
}
