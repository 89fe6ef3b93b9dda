using MLNet.ComposedRetrieval.Retrieval;

namespace MLNet.ComposedRetrieval.Tests.Retrieval;

public class Int8BlockDotProductsTests
{
    [Theory]
    [InlineData(512, 4, 9)]    // 2 x 4 tiles and a row left over
    [InlineData(512, 9, 8)]    // tiles and a query left over
    [InlineData(37, 7, 7)]     // a width that is no multiple of the vector
    [InlineData(5, 1, 12)]
    [InlineData(48, 2, 3)]
    public void MatchesExactIntegerDotProductsAndTheScalarPath(int dimension, int queryCount, int rowCount)
    {
        var random = new Random(8);
        const int stride = 12;
        var limit = Int8Quantization.QueryLimit(dimension);
        var rows = Enumerable.Range(0, rowCount * dimension).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
        var rowScales = Enumerable.Range(0, rowCount).Select(_ => random.NextSingle() / 100).ToArray();
        var queries = new Int8Quantization.Queries(
            Enumerable.Range(0, queryCount * dimension).Select(_ => (short)random.Next(-limit, limit + 1)).ToArray(),
            Enumerable.Range(0, queryCount).Select(_ => random.NextSingle() / 1000).ToArray(), queryCount, dimension);
        var scores = new float[queryCount * stride];
        var scalarScores = new float[queryCount * stride];

        Int8BlockDotProducts.Compute(rows, rowScales, rowCount, queries, scores, stride);
        Int8BlockDotProducts.ComputeScalar(rows, rowScales, rowCount, queries, scalarScores, stride);

        for (var q = 0; q < queryCount; q++)
            for (var r = 0; r < rowCount; r++)
            {
                long dot = 0;
                for (var d = 0; d < dimension; d++) dot += rows[r * dimension + d] * queries.Values[q * dimension + d];
                var expected = Int8BlockDotProducts.Score((int)dot, rowScales[r], queries.Scales[q]);
                Assert.Equal(expected, scores[q * stride + r]);       // exact: integer sums, then the same two products
                Assert.Equal(expected, scalarScores[q * stride + r]);
            }
    }

    [Theory]
    [InlineData(512)]
    [InlineData(1000)]
    public void FullRangeValuesDoNotOverflow(int dimension)
    {
        // Every product at its largest: 127 · limit · D, the bound QueryLimit keeps within int32.
        var limit = (short)Int8Quantization.QueryLimit(dimension);
        var rows = Enumerable.Repeat((sbyte)-127, 2 * dimension).ToArray();
        var queries = new Int8Quantization.Queries(Enumerable.Repeat((short)-limit, 4 * dimension).ToArray(), [1, 1, 1, 1], 4, dimension);
        var scores = new float[4 * 2];

        Int8BlockDotProducts.Compute(rows, [1, 1], 2, queries, scores, 2);

        Assert.All(scores, s => Assert.Equal((float)(127L * limit * dimension), s));
    }

    [Fact]
    public void BuffersTooSmallAreRejected()
    {
        var queries = new Int8Quantization.Queries(new short[8], new float[2], 2, 4);
        Assert.Throws<ArgumentException>(() => Int8BlockDotProducts.Compute(new sbyte[8], new float[3], 3, queries, new float[6], 3));
        Assert.Throws<ArgumentException>(() => Int8BlockDotProducts.Compute(new sbyte[8], new float[1], 2, queries, new float[4], 2));
        Assert.Throws<ArgumentException>(() => Int8BlockDotProducts.Compute(new sbyte[8], new float[2], 2, queries, new float[3], 2));
    }
}
