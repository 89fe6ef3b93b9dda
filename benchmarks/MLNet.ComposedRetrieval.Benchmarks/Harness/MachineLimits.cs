using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Benchmarks.Harness;

/// <summary>
/// What this machine can do at best, measured at the start of every harness run so that every figure is compared
/// with limits taken under the same load: memory read bandwidth (a 1 GiB array read by libtorch's sum and by a
/// plain vectorised C# loop on all threads), copy bandwidth (libtorch copy_, read + write bytes counted),
/// and the fp32 matmul FLOP rate of libtorch (a 2048³ mm, the kernel gallery search uses).
/// </summary>
internal sealed record MachineLimits(
    double TorchReadBytesPerSecond,
    double ManagedReadBytesPerSecond,
    double CopyBytesPerSecond,
    double MatmulFlopsPerSecond,
    int TorchThreads)
{
    /// <summary>These limits raised to what later probes of the same run saw, if they saw more.</summary>
    public MachineLimits WithProbes(double readBytesPerSecond, double matmulFlopsPerSecond) => this with
    {
        TorchReadBytesPerSecond = Math.Max(TorchReadBytesPerSecond, readBytesPerSecond),
        MatmulFlopsPerSecond = Math.Max(MatmulFlopsPerSecond, matmulFlopsPerSecond),
    };

    /// <summary>The roofline's bandwidth: the best way found to stream memory.</summary>
    public double ReadBytesPerSecond => Math.Max(TorchReadBytesPerSecond, ManagedReadBytesPerSecond);

    /// <summary>The roofline bound of a pass that reads <paramref name="bytes"/> and does <paramref name="flops"/>.</summary>
    public double RooflineSeconds(double bytes, double flops) =>
        Math.Max(bytes / ReadBytesPerSecond, flops / MatmulFlopsPerSecond);

    public static MachineLimits Measure(int repeats = 5)
    {
        const long floats = 1L << 28; // 1 GiB: far beyond the caches, so this is DRAM bandwidth.
        const double bytes = floats * sizeof(float);
        double torchRead, managedRead, copy, flops;
        using (var scope = NewDisposeScope())
        {
            using var inference = inference_mode();
            var source = ones(floats);
            var destination = empty(floats);
            var sum = empty(1);
            var managed = new NativeFloats(floats);
            try
            {
                var times = Timing.Interleaved(warmup: 1, repeats,
                    () => sum.copy_(source.sum()),
                    () => managed.Sum(),
                    () => destination.copy_(source));
                (torchRead, managedRead, copy) = (bytes / times[0].Min, bytes / times[1].Min, 2 * bytes / times[2].Min);
            }
            finally
            {
                managed.Dispose();
            }
        }
        using (var scope = NewDisposeScope())
        {
            using var inference = inference_mode();
            const int n = 2048;
            var a = randn(n, n);
            var b = randn(n, n);
            var c = empty(n, n);
            var time = Timing.Of(() => c.addmm_(a, b, beta: 0, alpha: 1), warmup: 1, repeats);
            flops = 2.0 * n * n * n / time.Min;
        }
        return new MachineLimits(torchRead, managedRead, copy, flops, get_num_threads());
    }

    public override string ToString()
    {
        var table = new MarkdownTable("limit", "measured");
        table.Add("memory read, libtorch sum (GB/s)", TorchReadBytesPerSecond / 1e9);
        table.Add("memory read, C# Vector256 loop (GB/s)", ManagedReadBytesPerSecond / 1e9);
        table.Add("memory copy, libtorch copy_ (GB/s, read + write)", CopyBytesPerSecond / 1e9);
        table.Add("fp32 matmul, libtorch mm 2048³ (GFLOP/s)", MatmulFlopsPerSecond / 1e9);
        table.Add("libtorch intra-op threads", TorchThreads);
        return table.ToString();
    }
}

/// <summary>An aligned native float array, read by a vectorised C# loop: how fast .NET itself streams memory.</summary>
internal sealed unsafe class NativeFloats : IDisposable
{
    private readonly float* _values;
    private readonly long _length;

    public NativeFloats(long length)
    {
        _length = length;
        _values = (float*)NativeMemory.AlignedAlloc((nuint)(length * sizeof(float)), 64);
        // Writing every value maps every page, so the timed reads do not page-fault.
        for (long start = 0; start < length; start += 1 << 26)
            new Span<float>(_values + start, (int)Math.Min(1 << 26, length - start)).Fill(1);
    }

    /// <summary>Sums the values with 256-bit vectors, one slice per core.</summary>
    public float Sum()
    {
        var threads = Environment.ProcessorCount;
        var partial = new float[threads];
        Parallel.For(0, threads, t => partial[t] = SumSlice(_length * t / threads, _length * (t + 1) / threads));
        return partial.Sum();
    }

    private float SumSlice(long begin, long end)
    {
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        var acc2 = Vector256<float>.Zero;
        var acc3 = Vector256<float>.Zero;
        var i = begin;
        for (; i + 32 <= end; i += 32)
        {
            acc0 += Vector256.Load(_values + i);
            acc1 += Vector256.Load(_values + i + 8);
            acc2 += Vector256.Load(_values + i + 16);
            acc3 += Vector256.Load(_values + i + 24);
        }
        var total = Vector256.Sum(acc0 + acc1 + acc2 + acc3);
        for (; i < end; i++) total += _values[i];
        return total;
    }

    public void Dispose() => NativeMemory.AlignedFree(_values);
}
