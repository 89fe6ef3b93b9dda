using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace MLNet.ComposedRetrieval.Retrieval;

/// <summary>
/// Dot products of a block of gallery rows stored in IEEE half precision with a few float32 queries: the kernel of a
/// <see cref="GalleryPrecision.Half"/> gallery's streaming path (see <see cref="BlockDotProducts"/> for the float32 one).
/// </summary>
/// <remarks>
/// .NET has no F16C intrinsic (vcvtph2ps), so halves are widened with integer instructions. The cheapest widening found
/// takes three instructions per 8 values and yields the float32 whose value is the half's times 2^-112 (its sign, 5-bit
/// exponent and 10-bit mantissa moved into place; <see cref="ToScaledSingle"/>); the queries are scaled by 2^112 instead
/// (<see cref="PrepareQueries"/>), so each product, and so each score, is the same as with exactly widened rows. Measured
/// here on one Zen 3 core, 400k x 512 rows: one query, widened in registers inside the dot product, 40 ms against 58 ms
/// for widening each block into a buffer first and 70 ms for float32 rows; from four queries on, widening the block
/// once and running the float32 kernel over it wins (100 queries: as fast as float32 rows, 0.82 s, against 1.0 s
/// widening in registers for every 4 queries).
/// </remarks>
internal static class HalfBlockDotProducts
{
    /// <summary>A row value v is read as the float32 v · 2^-<see cref="ScaleExponent"/>.</summary>
    public const int ScaleExponent = 112;

    /// <summary>Below this many queries each row is widened inside the dot products; from it on, once per block.</summary>
    public const int BlockWideningQueries = 4;

    /// <summary>
    /// scores[q · <paramref name="stride"/> + r] = rows[r] · queries[q] for r &lt; <paramref name="rowCount"/>, with the
    /// rows packed [count, dimension] and the queries from <see cref="PrepareQueries"/>.
    /// </summary>
    public static void Compute(ReadOnlySpan<Half> rows, int rowCount, in ScaledQueries queries, Span<float> scores, int stride)
    {
        CheckSizes(rows, rowCount, queries, scores, stride);
        if (!Avx2.IsSupported || !Fma.IsSupported)
        {
            ComputeScalar(rows, rowCount, queries, scores, stride);
            return;
        }

        var dimension = queries.Dimension;
        if (queries.Count < BlockWideningQueries)
        {
            for (var q = 0; q < queries.Count; q++)
            {
                var query = queries.Values.AsSpan(q * dimension, dimension);
                for (var r = 0; r < rowCount; r++)
                    scores[q * stride + r] = OneDot(rows.Slice(r * dimension, dimension), query);
            }
        }
        else
        {
            var widened = ArrayPool<float>.Shared.Rent(rowCount * dimension);
            try
            {
                ToScaledSingles(rows[..(rowCount * dimension)], widened);
                BlockDotProducts.Compute(widened, rowCount, queries.Values, queries.Count, dimension, scores, stride);
            }
            finally
            {
                ArrayPool<float>.Shared.Return(widened);
            }
        }
        Rescale(scores, rowCount, queries, stride);
    }

    /// <summary><see cref="Compute"/> without 256-bit vectors, for hardware without AVX2 and FMA (and to test against).</summary>
    internal static void ComputeScalar(ReadOnlySpan<Half> rows, int rowCount, in ScaledQueries queries, Span<float> scores, int stride)
    {
        CheckSizes(rows, rowCount, queries, scores, stride);
        var dimension = queries.Dimension;
        var row = ArrayPool<float>.Shared.Rent(dimension);
        try
        {
            for (var r = 0; r < rowCount; r++)
            {
                var source = rows.Slice(r * dimension, dimension);
                for (var d = 0; d < dimension; d++) row[d] = ToScaledSingle(source[d]);
                for (var q = 0; q < queries.Count; q++)
                    scores[q * stride + r] = TensorPrimitives.Dot(row.AsSpan(0, dimension), queries.Values.AsSpan(q * dimension, dimension));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(row);
        }
        Rescale(scores, rowCount, queries, stride);
    }

    /// <summary>
    /// The queries [count, dimension] times 2^(112 - e), e ≥ 0 the smallest that keeps them finite (0 unless a value
    /// reaches 2^15); the scores are multiplied by 2^e at the end. Powers of two: no rounding either way.
    /// </summary>
    public static ScaledQueries PrepareQueries(ReadOnlySpan<float> queries, int count, int dimension)
    {
        if ((long)count * dimension > queries.Length)
            throw new ArgumentException($"{count} queries of width {dimension} do not fit in {queries.Length} values.", nameof(queries));
        var values = queries[..(count * dimension)];
        var largest = values.IsEmpty ? 0 : TensorPrimitives.MaxMagnitude(values);
        var excess = largest == 0 ? 0 : Math.Max(0, MathF.ILogB(Math.Abs(largest)) - 14);
        var scaled = new float[values.Length];
        TensorPrimitives.Multiply(values, MathF.ScaleB(1, ScaleExponent - excess), scaled);
        return new ScaledQueries(scaled, count, dimension, MathF.ScaleB(1, excess));
    }

    /// <summary>Widens finite halves to float32 bit patterns of their value · 2^-112 (see <see cref="ToScaledSingle"/>).</summary>
    public static void ToScaledSingles(ReadOnlySpan<Half> source, Span<float> destination)
    {
        if (destination.Length < source.Length)
            throw new ArgumentException($"{source.Length} values do not fit in {destination.Length}.", nameof(destination));
        var i = 0;
        if (Avx2.IsSupported)
        {
            ref var from = ref Unsafe.As<Half, short>(ref MemoryMarshal.GetReference(source));
            ref var to = ref MemoryMarshal.GetReference(destination);
            for (; i <= source.Length - 8; i += 8) Widen(ref from, (nuint)i).StoreUnsafe(ref to, (nuint)i);
        }
        for (; i < source.Length; i++) destination[i] = ToScaledSingle(source[i]);
    }

    /// <summary>
    /// The float32 whose value is <paramref name="value"/> · 2^-112, exactly, for every finite half (subnormal halves
    /// give subnormal floats, which the dot products then scale back up). Infinities and NaN give finite garbage: the
    /// index never stores them.
    /// </summary>
    /// <remarks>
    /// Sign-extended to 32 bits and shifted left by 13, the half's exponent and mantissa land where a float32's go (its
    /// 5-bit exponent as the low bits of the 8-bit one, hence the 2^-112 bias difference), its sign on bit 31 and three
    /// copies of the sign on bits 28-30, which the mask clears.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToScaledSingle(Half value) =>
        BitConverter.Int32BitsToSingle((BitConverter.HalfToInt16Bits(value) << 13) & unchecked((int)0x8FFF_FFFF));

    /// <summary>Eight halves from <paramref name="source"/> + <paramref name="offset"/> widened as <see cref="ToScaledSingle"/> does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Widen(ref short source, nuint offset) =>
        ((Avx2.ConvertToVector256Int32(Vector128.LoadUnsafe(ref source, offset)) << 13) & Vector256.Create(unchecked((int)0x8FFF_FFFF))).AsSingle();

    /// <summary>One dot product, the row widened in registers, with four accumulators to hide the latency of the fused multiply-adds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float OneDot(ReadOnlySpan<Half> row, ReadOnlySpan<float> query)
    {
        var dimension = row.Length;
        ref var x = ref Unsafe.As<Half, short>(ref MemoryMarshal.GetReference(row));
        ref var y = ref MemoryMarshal.GetReference(query);
        Vector256<float> a = default, b = default, c = default, e = default;
        var d = 0;
        for (; d <= dimension - 32; d += 32)
        {
            a = Fma.MultiplyAdd(Widen(ref x, (nuint)d), Vector256.LoadUnsafe(ref y, (nuint)d), a);
            b = Fma.MultiplyAdd(Widen(ref x, (nuint)(d + 8)), Vector256.LoadUnsafe(ref y, (nuint)(d + 8)), b);
            c = Fma.MultiplyAdd(Widen(ref x, (nuint)(d + 16)), Vector256.LoadUnsafe(ref y, (nuint)(d + 16)), c);
            e = Fma.MultiplyAdd(Widen(ref x, (nuint)(d + 24)), Vector256.LoadUnsafe(ref y, (nuint)(d + 24)), e);
        }
        for (; d <= dimension - 8; d += 8)
            a = Fma.MultiplyAdd(Widen(ref x, (nuint)d), Vector256.LoadUnsafe(ref y, (nuint)d), a);
        var sum = Vector256.Sum(a + b + (c + e));
        for (; d < dimension; d++) sum += ToScaledSingle(row[d]) * Unsafe.Add(ref y, d);
        return sum;
    }

    /// <summary>Brings the scores back from the queries' 2^-e scale (nothing to do when e = 0, the usual case).</summary>
    private static void Rescale(Span<float> scores, int rowCount, in ScaledQueries queries, int stride)
    {
        if (queries.Rescale == 1) return;
        for (var q = 0; q < queries.Count; q++)
        {
            var row = scores.Slice(q * stride, rowCount);
            TensorPrimitives.Multiply(row, queries.Rescale, row);
        }
    }

    private static void CheckSizes(ReadOnlySpan<Half> rows, int rowCount, in ScaledQueries queries, Span<float> scores, int stride)
    {
        ArgumentNullException.ThrowIfNull(queries.Values);
        if ((long)rowCount * queries.Dimension > rows.Length || rowCount > stride ||
            (long)(queries.Count - 1) * stride + rowCount > scores.Length)
            throw new ArgumentException($"{rowCount} rows x {queries.Count} queries of width {queries.Dimension} do not fit the buffers given.");
    }

    /// <summary>Queries prepared for <see cref="Compute"/>.</summary>
    /// <param name="Values">The queries [Count, Dimension] times 2^112 / <paramref name="Rescale"/>.</param>
    /// <param name="Count">How many queries.</param>
    /// <param name="Dimension">Their width.</param>
    /// <param name="Rescale">What the scores are multiplied by at the end (a power of two, usually 1).</param>
    internal readonly record struct ScaledQueries(float[] Values, int Count, int Dimension, float Rescale);
}
