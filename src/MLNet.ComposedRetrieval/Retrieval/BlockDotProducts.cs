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

        if (!Vector256.IsHardwareAccelerated)
        {
            // Portable (e.g. 128-bit vectors only): the library routine, one call per pair.
            for (var q = 0; q < queryCount; q++)
                for (var r = 0; r < rowCount; r++)
                    scores[q * stride + r] = TensorPrimitives.Dot(rows.Slice(r * dimension, dimension), queries.Slice(q * dimension, dimension));
            return;
        }

        // Queries four at a time (8 KB at width 512, in L1) against the whole block of rows (the caller keeps it
        // small enough for L2), three rows per step: each 8-float load then feeds 4 or 3 multiply-adds, and the
        // twelve accumulators, three rows and one query vector just fit AVX2's sixteen registers.
        var query = 0;
        for (; query + 4 <= queryCount; query += 4)
        {
            var four = queries.Slice(query * dimension, 4 * dimension);
            var r = 0;
            for (; r + 3 <= rowCount; r += 3)
                ThreeRowsFourQueries(rows.Slice(r * dimension, 3 * dimension), four, scores, query * stride + r, stride);
            if (r + 2 <= rowCount)
            {
                TwoRowsFourQueries(rows.Slice(r * dimension, 2 * dimension), four, scores, query * stride + r, stride);
                r += 2;
            }
            if (r < rowCount) FourDots(rows.Slice(r * dimension, dimension), four, scores, query * stride + r, stride);
        }
        for (; query < queryCount; query++)
            for (var r = 0; r < rowCount; r++)
                scores[query * stride + r] = OneDot(rows.Slice(r * dimension, dimension), queries.Slice(query * dimension, dimension));
    }

    /// <summary>The 3 x 4 dot products of three consecutive rows with four consecutive queries, in twelve accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ThreeRowsFourQueries(ReadOnlySpan<float> threeRows, ReadOnlySpan<float> fourQueries, Span<float> scores, int at, int stride)
    {
        var dimension = threeRows.Length / 3;
        ref var x = ref MemoryMarshal.GetReference(threeRows);
        ref var y = ref Unsafe.Add(ref x, dimension);
        ref var z = ref Unsafe.Add(ref y, dimension);
        ref var q0 = ref MemoryMarshal.GetReference(fourQueries);
        ref var q1 = ref Unsafe.Add(ref q0, dimension);
        ref var q2 = ref Unsafe.Add(ref q1, dimension);
        ref var q3 = ref Unsafe.Add(ref q2, dimension);
        Vector256<float> x0 = default, x1 = default, x2 = default, x3 = default;
        Vector256<float> y0 = default, y1 = default, y2 = default, y3 = default;
        Vector256<float> z0 = default, z1 = default, z2 = default, z3 = default;
        var d = 0;
        for (; d <= dimension - 8; d += 8)
        {
            var i = (nuint)d;
            var xv = Vector256.LoadUnsafe(ref x, i);
            var yv = Vector256.LoadUnsafe(ref y, i);
            var zv = Vector256.LoadUnsafe(ref z, i);
            var v = Vector256.LoadUnsafe(ref q0, i);
            x0 = Vector256.FusedMultiplyAdd(xv, v, x0);
            y0 = Vector256.FusedMultiplyAdd(yv, v, y0);
            z0 = Vector256.FusedMultiplyAdd(zv, v, z0);
            v = Vector256.LoadUnsafe(ref q1, i);
            x1 = Vector256.FusedMultiplyAdd(xv, v, x1);
            y1 = Vector256.FusedMultiplyAdd(yv, v, y1);
            z1 = Vector256.FusedMultiplyAdd(zv, v, z1);
            v = Vector256.LoadUnsafe(ref q2, i);
            x2 = Vector256.FusedMultiplyAdd(xv, v, x2);
            y2 = Vector256.FusedMultiplyAdd(yv, v, y2);
            z2 = Vector256.FusedMultiplyAdd(zv, v, z2);
            v = Vector256.LoadUnsafe(ref q3, i);
            x3 = Vector256.FusedMultiplyAdd(xv, v, x3);
            y3 = Vector256.FusedMultiplyAdd(yv, v, y3);
            z3 = Vector256.FusedMultiplyAdd(zv, v, z3);
        }
        Span<float> sums =
        [
            Vector256.Sum(x0), Vector256.Sum(y0), Vector256.Sum(z0),
            Vector256.Sum(x1), Vector256.Sum(y1), Vector256.Sum(z1),
            Vector256.Sum(x2), Vector256.Sum(y2), Vector256.Sum(z2),
            Vector256.Sum(x3), Vector256.Sum(y3), Vector256.Sum(z3),
        ];
        for (; d < dimension; d++)
        {
            float xd = Unsafe.Add(ref x, d), yd = Unsafe.Add(ref y, d), zd = Unsafe.Add(ref z, d);
            for (var q = 0; q < 4; q++)
            {
                var v = Unsafe.Add(ref q0, q * dimension + d);
                sums[3 * q] += xd * v;
                sums[3 * q + 1] += yd * v;
                sums[3 * q + 2] += zd * v;
            }
        }
        for (var q = 0; q < 4; q++)
        {
            scores[at + q * stride] = sums[3 * q];
            scores[at + q * stride + 1] = sums[3 * q + 1];
            scores[at + q * stride + 2] = sums[3 * q + 2];
        }
    }

    /// <summary>The 2 x 4 dot products of two consecutive rows with four consecutive queries, in eight accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TwoRowsFourQueries(ReadOnlySpan<float> twoRows, ReadOnlySpan<float> fourQueries, Span<float> scores, int at, int stride)
    {
        var dimension = twoRows.Length / 2;
        ref var x = ref MemoryMarshal.GetReference(twoRows);
        ref var y = ref Unsafe.Add(ref x, dimension);
        ref var q0 = ref MemoryMarshal.GetReference(fourQueries);
        ref var q1 = ref Unsafe.Add(ref q0, dimension);
        ref var q2 = ref Unsafe.Add(ref q1, dimension);
        ref var q3 = ref Unsafe.Add(ref q2, dimension);
        Vector256<float> x0 = default, x1 = default, x2 = default, x3 = default;
        Vector256<float> y0 = default, y1 = default, y2 = default, y3 = default;
        var d = 0;
        for (; d <= dimension - 8; d += 8)
        {
            var i = (nuint)d;
            var xv = Vector256.LoadUnsafe(ref x, i);
            var yv = Vector256.LoadUnsafe(ref y, i);
            var v = Vector256.LoadUnsafe(ref q0, i);
            x0 = Vector256.FusedMultiplyAdd(xv, v, x0);
            y0 = Vector256.FusedMultiplyAdd(yv, v, y0);
            v = Vector256.LoadUnsafe(ref q1, i);
            x1 = Vector256.FusedMultiplyAdd(xv, v, x1);
            y1 = Vector256.FusedMultiplyAdd(yv, v, y1);
            v = Vector256.LoadUnsafe(ref q2, i);
            x2 = Vector256.FusedMultiplyAdd(xv, v, x2);
            y2 = Vector256.FusedMultiplyAdd(yv, v, y2);
            v = Vector256.LoadUnsafe(ref q3, i);
            x3 = Vector256.FusedMultiplyAdd(xv, v, x3);
            y3 = Vector256.FusedMultiplyAdd(yv, v, y3);
        }
        float sx0 = Vector256.Sum(x0), sx1 = Vector256.Sum(x1), sx2 = Vector256.Sum(x2), sx3 = Vector256.Sum(x3);
        float sy0 = Vector256.Sum(y0), sy1 = Vector256.Sum(y1), sy2 = Vector256.Sum(y2), sy3 = Vector256.Sum(y3);
        for (; d < dimension; d++)
        {
            float xd = Unsafe.Add(ref x, d), yd = Unsafe.Add(ref y, d);
            float v0 = Unsafe.Add(ref q0, d), v1 = Unsafe.Add(ref q1, d), v2 = Unsafe.Add(ref q2, d), v3 = Unsafe.Add(ref q3, d);
            sx0 += xd * v0; sx1 += xd * v1; sx2 += xd * v2; sx3 += xd * v3;
            sy0 += yd * v0; sy1 += yd * v1; sy2 += yd * v2; sy3 += yd * v3;
        }
        scores[at] = sx0;
        scores[at + 1] = sy0;
        scores[at + stride] = sx1;
        scores[at + stride + 1] = sy1;
        scores[at + 2 * stride] = sx2;
        scores[at + 2 * stride + 1] = sy2;
        scores[at + 3 * stride] = sx3;
        scores[at + 3 * stride + 1] = sy3;
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
