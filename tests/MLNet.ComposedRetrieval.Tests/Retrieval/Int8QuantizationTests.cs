using MLNet.ComposedRetrieval.Retrieval;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Retrieval;

public class Int8QuantizationTests
{
    [Fact]
    public void EachRowValueIsWithinHalfAStepOfItsQuantisedValue()
    {
        using var scope = NewDisposeScope();
        var random = new Random(2);
        const int dimension = 64;
        // Rows of very different magnitudes, a zero row and a row with one non-zero value.
        var values = new float[6 * dimension];
        for (var i = 0; i < 4 * dimension; i++) values[i] = (random.NextSingle() - 0.5f) * MathF.Pow(10, i / dimension - 2);
        values[5 * dimension + 7] = -3f;
        var rows = tensor(values, [6, dimension]);

        var (quantised, scales) = Int8Quantization.QuantizeRows(rows);

        Assert.Equal(ScalarType.Int8, quantised.dtype);
        var q = quantised.to(ScalarType.Int32).data<int>().ToArray();
        var s = scales.data<float>().ToArray();
        for (var r = 0; r < 6; r++)
        {
            var row = values.AsSpan(r * dimension, dimension);
            var largest = row.ToArray().Max(Math.Abs);
            Assert.Equal(largest / 127, s[r]);
            if (largest == 0)
            {
                Assert.All(q.Skip(r * dimension).Take(dimension), v => Assert.Equal(0, v));
                continue;
            }
            Assert.Equal(127, q.Skip(r * dimension).Take(dimension).Max(Math.Abs)); // the largest value uses the full range
            for (var d = 0; d < dimension; d++)
                Assert.True(Math.Abs(row[d] - (double)s[r] * q[r * dimension + d]) <= s[r] * 0.5001,
                    $"row {r}, value {d}: {row[d]} quantised to {q[r * dimension + d]} x {s[r]}");
        }
        Assert.Equal(-127, q[5 * dimension + 7]);
    }

    [Theory]
    [InlineData(512, 32767)]
    [InlineData(516, 32767)]
    [InlineData(517, 32706)]   // wider rows: smaller query steps, so that 127 · limit · D stays within int32
    [InlineData(4096, 4128)]
    public void QueryValuesAreWithinHalfAStepAndDotProductsFitInInt32(int dimension, int expectedLimit)
    {
        var random = new Random(4);
        var queries = Enumerable.Range(0, 3 * dimension).Select(i => i < dimension ? 0 : random.NextSingle() * 2 - 1).ToArray();

        var quantised = Int8Quantization.QuantizeQueries(queries, 3, dimension);

        var limit = Int8Quantization.QueryLimit(dimension);
        Assert.Equal(expectedLimit, limit);
        Assert.True((long)limit * Int8Quantization.RowLimit * dimension <= int.MaxValue);
        Assert.Equal(0, quantised.Scales[0]); // a zero query
        Assert.All(quantised.Values.Take(dimension), v => Assert.Equal(0, v));
        for (var q = 1; q < 3; q++)
        {
            var step = quantised.Scales[q];
            Assert.Equal(limit, quantised.Values.Skip(q * dimension).Take(dimension).Max(v => Math.Abs((int)v)));
            for (var d = 0; d < dimension; d++)
                Assert.True(Math.Abs(queries[q * dimension + d] - (double)step * quantised.Values[q * dimension + d]) <= step * 0.5);
        }
    }

    [Fact]
    public void TheWidestRowsStillGetEightBitQueries()
    {
        Assert.True(Int8Quantization.QueryLimit(Int8Quantization.MaxDimension) >= 255);
        Assert.True(Int8Quantization.QueryLimit(Int8Quantization.MaxDimension + 1) < 255);
    }
}
