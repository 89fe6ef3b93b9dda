using MLNet.ComposedRetrieval.Retrieval;

namespace MLNet.ComposedRetrieval.Tests.Retrieval;

public class HalfBlockDotProductsTests
{
    private static readonly float TwoTo112 = MathF.ScaleB(1, HalfBlockDotProducts.ScaleExponent);

    [Fact]
    public void EveryFiniteHalfWidensExactly()
    {
        // All 63488 finite bit patterns: ±0, subnormals, normals up to ±65504.
        var halves = Enumerable.Range(0, 1 << 16).Select(bits => BitConverter.Int16BitsToHalf((short)bits)).Where(Half.IsFinite).ToArray();
        var widened = new float[halves.Length];

        HalfBlockDotProducts.ToScaledSingles(halves, widened);

        for (var i = 0; i < halves.Length; i++)
        {
            var expected = BitConverter.SingleToInt32Bits((float)halves[i]);
            Assert.Equal(expected, BitConverter.SingleToInt32Bits(widened[i] * TwoTo112)); // bit for bit, -0 included
            Assert.Equal(BitConverter.SingleToInt32Bits(HalfBlockDotProducts.ToScaledSingle(halves[i])), BitConverter.SingleToInt32Bits(widened[i]));
        }
    }

    [Theory]
    [InlineData(1f, 1f)]
    [InlineData(-2.5f, -2.5f)]
    [InlineData(65504f, 65504f)]                      // the largest half
    [InlineData(0.1f, 0.0999755859375f)]              // rounded to 11 significant bits
    [InlineData(6.1035156e-5f, 6.1035156e-5f)]        // the smallest normal half, 2^-14
    [InlineData(5.9604645e-8f, 5.9604645e-8f)]        // the smallest subnormal half, 2^-24
    [InlineData(2e-8f, 0f)]                           // below half of it: rounds to zero
    [InlineData(-0f, -0f)]
    public void KnownValuesRoundTripThroughHalf(float value, float expected)
    {
        var widened = new float[9];
        HalfBlockDotProducts.ToScaledSingles(Enumerable.Repeat((Half)value, 9).ToArray(), widened); // 8 by vector, 1 by the tail

        Assert.All(widened, w => Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(w * TwoTo112)));
    }

    [Theory]
    [InlineData(512, 1, 9)]    // one query: rows widened inside the dot products
    [InlineData(512, 3, 5)]
    [InlineData(512, 4, 9)]    // four or more: each block widened once, then float32 tiles
    [InlineData(512, 9, 8)]
    [InlineData(37, 2, 7)]     // a width that is no multiple of the vector
    [InlineData(37, 7, 7)]
    [InlineData(5, 1, 12)]
    public void MatchesPlainDotProductsOfTheHalfValues(int dimension, int queryCount, int rowCount)
    {
        // Small integers and halves of them: exact in half precision and in any order of summation.
        var random = new Random(5);
        const int stride = 12;
        var rows = Enumerable.Range(0, rowCount * dimension).Select(_ => (Half)(random.Next(-6, 7) / 2f)).ToArray();
        var queries = Enumerable.Range(0, queryCount * dimension).Select(_ => (float)random.Next(-3, 4)).ToArray();
        var prepared = HalfBlockDotProducts.PrepareQueries(queries, queryCount, dimension);
        var scores = new float[queryCount * stride];
        var scalarScores = new float[queryCount * stride];

        HalfBlockDotProducts.Compute(rows, rowCount, prepared, scores, stride);
        HalfBlockDotProducts.ComputeScalar(rows, rowCount, prepared, scalarScores, stride);

        for (var q = 0; q < queryCount; q++)
            for (var r = 0; r < rowCount; r++)
            {
                var expected = 0f;
                for (var d = 0; d < dimension; d++) expected += (float)rows[r * dimension + d] * queries[q * dimension + d];
                Assert.Equal(expected, scores[q * stride + r]);
                Assert.Equal(expected, scalarScores[q * stride + r]);
            }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    public void TheScalarPathAgreesWithTheVectorPathOnRealValuedData(int queryCount)
    {
        var random = new Random(9);
        const int dimension = 512, rowCount = 30;
        var rows = Enumerable.Range(0, rowCount * dimension).Select(_ => (Half)(random.NextSingle() - 0.5f)).ToArray();
        var queries = Enumerable.Range(0, queryCount * dimension).Select(_ => random.NextSingle() - 0.5f).ToArray();
        var prepared = HalfBlockDotProducts.PrepareQueries(queries, queryCount, dimension);
        var vector = new float[queryCount * rowCount];
        var scalar = new float[queryCount * rowCount];

        HalfBlockDotProducts.Compute(rows, rowCount, prepared, vector, rowCount);
        HalfBlockDotProducts.ComputeScalar(rows, rowCount, prepared, scalar, rowCount);

        for (var i = 0; i < vector.Length; i++)
        {
            var exact = 0.0;
            for (var d = 0; d < dimension; d++) exact += (double)(float)rows[i % rowCount * dimension + d] * queries[i / rowCount * dimension + d];
            // Only the order of summation differs: both within float32 rounding of the exact sum.
            Assert.Equal(exact, vector[i], 1e-5);
            Assert.Equal(exact, scalar[i], 1e-5);
        }
    }

    [Fact]
    public void LargeQueriesAreScaledDownInsteadOfOverflowing()
    {
        // 2^112 · 3e30 would overflow float32: the queries are scaled by less and the scores brought back exactly.
        const int dimension = 16;
        var rows = Enumerable.Range(0, 2 * dimension).Select(i => (Half)(i % 5 - 2)).ToArray();
        var queries = Enumerable.Range(0, 4 * dimension).Select(i => MathF.ScaleB(i % 3 - 1, 100)).ToArray(); // ±2^100 and 0
        var prepared = HalfBlockDotProducts.PrepareQueries(queries, 4, dimension);
        var scores = new float[4 * 2];

        HalfBlockDotProducts.Compute(rows, 2, prepared, scores, 2);

        Assert.Equal(MathF.ScaleB(1, 86), prepared.Rescale);
        for (var q = 0; q < 4; q++)
            for (var r = 0; r < 2; r++)
            {
                var expected = 0f;
                for (var d = 0; d < dimension; d++) expected += (float)rows[r * dimension + d] * queries[q * dimension + d];
                Assert.Equal(expected, scores[q * 2 + r]);
            }
    }

    [Fact]
    public void BuffersTooSmallAreRejected()
    {
        var prepared = HalfBlockDotProducts.PrepareQueries(new float[8], 2, 4);
        Assert.Throws<ArgumentException>(() => HalfBlockDotProducts.Compute(new Half[8], 3, prepared, new float[6], 3));
        Assert.Throws<ArgumentException>(() => HalfBlockDotProducts.Compute(new Half[8], 2, prepared, new float[3], 2));
        Assert.Throws<ArgumentException>(() => HalfBlockDotProducts.PrepareQueries(new float[7], 2, 4));
    }
}
