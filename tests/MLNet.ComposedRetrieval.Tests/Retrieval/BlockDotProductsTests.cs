using MLNet.ComposedRetrieval.Retrieval;

namespace MLNet.ComposedRetrieval.Tests.Retrieval;

public class BlockDotProductsTests
{
    [Theory]
    [InlineData(512, 4)]
    [InlineData(37, 7)]   // a width that is no multiple of the vector, and a query left over after groups of four
    [InlineData(5, 1)]
    public void MatchesPlainDotProducts(int dimension, int queryCount)
    {
        var random = new Random(3);
        const int rowCount = 9, stride = 12;
        var rows = Enumerable.Range(0, rowCount * dimension).Select(_ => (float)random.Next(-3, 4)).ToArray();
        var queries = Enumerable.Range(0, queryCount * dimension).Select(_ => (float)random.Next(-3, 4)).ToArray();
        var scores = new float[queryCount * stride];

        BlockDotProducts.Compute(rows, rowCount, queries, queryCount, dimension, scores, stride);

        for (var q = 0; q < queryCount; q++)
            for (var r = 0; r < rowCount; r++)
            {
                var expected = 0f;
                for (var d = 0; d < dimension; d++) expected += rows[r * dimension + d] * queries[q * dimension + d];
                Assert.Equal(expected, scores[q * stride + r]); // small integers: exact in any order of summation
            }
    }

    [Fact]
    public void BuffersTooSmallAreRejected()
    {
        Assert.Throws<ArgumentException>(() => BlockDotProducts.Compute(new float[8], 3, new float[4], 1, 4, new float[3], 3));
        Assert.Throws<ArgumentException>(() => BlockDotProducts.Compute(new float[8], 2, new float[8], 2, 4, new float[3], 2));
    }
}
