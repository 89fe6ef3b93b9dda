using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace MLNet.ComposedRetrieval.Retrieval;

/// <summary>
/// Dot products of a block of gallery rows with a few queries, each row read from memory once: the kernel of the
/// gallery's streaming path, where a matmul would be memory-bound and libtorch's small-M kernels fall well short
/// of the bandwidth.
/// </summary>
internal static class BlockDotProducts
{
    /// <summary>
    /// scores[q · <paramref name="stride"/> + r] = rows[r] · queries[q] for r &lt; <paramref name="rowCount"/> and
    /// q &lt; <paramref name="queryCount"/>; rows and queries are packed [count, <paramref name="dimension"/>].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Compute(ReadOnlySpan<float> rows, int rowCount, ReadOnlySpan<float> queries, int queryCount,
        int dimension, Span<float> scores, int stride)
    {
        if ((long)rowCount * dimension > rows.Length || (long)queryCount * dimension > queries.Length ||
            rowCount > stride || (long)(queryCount - 1) * stride + rowCount > scores.Length)
            throw new ArgumentException($"{rowCount} rows x {queryCount} queries of width {dimension} do not fit the buffers given.");

        for (var r = 0; r < rowCount; r++)
        {
            var row = rows.Slice(r * dimension, dimension);
            var q = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; q + 4 <= queryCount; q += 4) FourDots(row, queries.Slice(q * dimension, 4 * dimension), scores, q * stride + r, stride);
                for (; q < queryCount; q++) scores[q * stride + r] = OneDot(row, queries.Slice(q * dimension, dimension));
            }
            else
            {
                // Portable (e.g. 128-bit vectors only): the library routine, one call per pair.
                for (; q < queryCount; q++) scores[q * stride + r] = TensorPrimitives.Dot(row, queries.Slice(q * dimension, dimension));
            }
        }
    }

    /// <summary>One dot product, with four accumulators to hide the latency of the fused multiply-adds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float OneDot(ReadOnlySpan<float> row, ReadOnlySpan<float> query)
    {
        var dimension = row.Length;
        ref var x = ref MemoryMarshal.GetReference(row);
        ref var y = ref MemoryMarshal.GetReference(query);
        Vector256<float> a = default, b = default, c = default, e = default;
        var d = 0;
        for (; d <= dimension - 32; d += 32)
        {
            a = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)d), Vector256.LoadUnsafe(ref y, (nuint)d), a);
            b = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)(d + 8)), Vector256.LoadUnsafe(ref y, (nuint)(d + 8)), b);
            c = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)(d + 16)), Vector256.LoadUnsafe(ref y, (nuint)(d + 16)), c);
            e = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)(d + 24)), Vector256.LoadUnsafe(ref y, (nuint)(d + 24)), e);
        }
        var sum = Vector256.Sum(a + b + (c + e));
        for (; d < dimension; d++) sum += Unsafe.Add(ref x, d) * Unsafe.Add(ref y, d);
        return sum;
    }

    /// <summary>The row's dot products with four consecutive queries, each 8 floats of the row loaded once for all four.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FourDots(ReadOnlySpan<float> row, ReadOnlySpan<float> fourQueries, Span<float> scores, int at, int stride)
    {
        var dimension = row.Length;
        ref var x = ref MemoryMarshal.GetReference(row);
        ref var q0 = ref MemoryMarshal.GetReference(fourQueries);
        ref var q1 = ref Unsafe.Add(ref q0, dimension);
        ref var q2 = ref Unsafe.Add(ref q1, dimension);
        ref var q3 = ref Unsafe.Add(ref q2, dimension);
        // Two accumulators per query hide the latency of the fused multiply-adds.
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
        var d = 0;
        for (; d <= dimension - 16; d += 16)
        {
            var i = (nuint)d;
            var j = (nuint)(d + 8);
            var xi = Vector256.LoadUnsafe(ref x, i);
            var xj = Vector256.LoadUnsafe(ref x, j);
            a0 = Vector256.FusedMultiplyAdd(xi, Vector256.LoadUnsafe(ref q0, i), a0);
            a1 = Vector256.FusedMultiplyAdd(xi, Vector256.LoadUnsafe(ref q1, i), a1);
            a2 = Vector256.FusedMultiplyAdd(xi, Vector256.LoadUnsafe(ref q2, i), a2);
            a3 = Vector256.FusedMultiplyAdd(xi, Vector256.LoadUnsafe(ref q3, i), a3);
            b0 = Vector256.FusedMultiplyAdd(xj, Vector256.LoadUnsafe(ref q0, j), b0);
            b1 = Vector256.FusedMultiplyAdd(xj, Vector256.LoadUnsafe(ref q1, j), b1);
            b2 = Vector256.FusedMultiplyAdd(xj, Vector256.LoadUnsafe(ref q2, j), b2);
            b3 = Vector256.FusedMultiplyAdd(xj, Vector256.LoadUnsafe(ref q3, j), b3);
        }
        float s0 = Vector256.Sum(a0 + b0), s1 = Vector256.Sum(a1 + b1), s2 = Vector256.Sum(a2 + b2), s3 = Vector256.Sum(a3 + b3);
        for (; d < dimension; d++)
        {
            var xd = Unsafe.Add(ref x, d);
            s0 += xd * Unsafe.Add(ref q0, d);
            s1 += xd * Unsafe.Add(ref q1, d);
            s2 += xd * Unsafe.Add(ref q2, d);
            s3 += xd * Unsafe.Add(ref q3, d);
        }
        scores[at] = s0;
        scores[at + stride] = s1;
        scores[at + 2 * stride] = s2;
        scores[at + 3 * stride] = s3;
    }
}
