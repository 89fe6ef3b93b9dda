using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Retrieval;

/// <summary>
/// Symmetric per-row quantisation for a <see cref="GalleryPrecision.Int8"/> gallery: a row x is stored as integers
/// q = round(x / s) in [-127, 127] with s = max|x| / 127, so |x - s·q| ≤ s / 2 per value. Queries get the same
/// treatment with 16-bit integers, so a score is s_row · s_query · (q_row · q_query), the dot product exact in int32.
/// </summary>
/// <remarks>
/// Per row rather than one scale for the gallery: embeddings differ in their largest value, and a row's scale follows
/// its own. Symmetric (no zero point, -128 unused), so the dot product needs no correction terms and ±max|x| are
/// stored exactly.
/// </remarks>
internal static class Int8Quantization
{
    /// <summary>The largest stored row magnitude.</summary>
    public const int RowLimit = 127;

    /// <summary>The widest rows the 16-bit queries can be exact for (a query limit of at least 255, 8 bits).</summary>
    public const int MaxDimension = int.MaxValue / (RowLimit * 255);

    /// <summary>
    /// The largest magnitude of a quantised query value: 32767, or less for rows so wide (over 516 values) that the
    /// dot product of full-range values could leave int32.
    /// </summary>
    public static int QueryLimit(int dimension) =>
        (int)Math.Min(short.MaxValue, int.MaxValue / ((long)RowLimit * Math.Max(1, dimension)));

    /// <summary>
    /// Quantises finite float32 rows [N, D] on their device: int8 values [N, D] and float32 scales [N] (a zero row
    /// gets scale 0 and zeros).
    /// </summary>
    public static (Tensor Values, Tensor Scales) QuantizeRows(Tensor rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.dim() != 2 || rows.dtype != ScalarType.Float32)
            throw new ArgumentException($"Rows to quantise must be float32 [N, D]; found {rows.dtype} [{string.Join(", ", rows.shape)}].", nameof(rows));
        using var scope = NewDisposeScope();
        var scales = rows.abs().amax(1).div_(RowLimit);
        // A zero row divides by the smallest positive float instead of 0 and stays zero.
        var values = rows.div(scales.clamp_min(float.Epsilon).unsqueeze(1)).round_().clamp_(-RowLimit, RowLimit).to(ScalarType.Int8);
        return (values.MoveToOuterDisposeScope(), scales.MoveToOuterDisposeScope());
    }

    /// <summary>Quantises queries [count, dimension] to 16-bit integers, one scale per query (see <see cref="QueryLimit"/>).</summary>
    public static Queries QuantizeQueries(ReadOnlySpan<float> queries, int count, int dimension)
    {
        if ((long)count * dimension > queries.Length)
            throw new ArgumentException($"{count} queries of width {dimension} do not fit in {queries.Length} values.", nameof(queries));
        var limit = QueryLimit(dimension);
        var values = new short[count * dimension];
        var scales = new float[count];
        for (var q = 0; q < count; q++)
        {
            var query = queries.Slice(q * dimension, dimension);
            var largest = 0f;
            foreach (var value in query) largest = Math.Max(largest, Math.Abs(value));
            if (largest == 0) continue;
            var step = scales[q] = largest / limit;
            // In double, by the float32 step kept: each value within half a step of step · q, not a rounding more.
            for (var d = 0; d < dimension; d++)
                values[q * dimension + d] = (short)Math.Clamp(Math.Round(query[d] / (double)step), -limit, limit);
        }
        return new Queries(values, scales, count, dimension);
    }

    /// <summary>Quantised queries.</summary>
    /// <param name="Values">[Count, Dimension] integers within ±<see cref="QueryLimit"/>.</param>
    /// <param name="Scales">Per query, the value of one step (0 for a zero query).</param>
    /// <param name="Count">How many queries.</param>
    /// <param name="Dimension">Their width.</param>
    internal readonly record struct Queries(short[] Values, float[] Scales, int Count, int Dimension);
}
