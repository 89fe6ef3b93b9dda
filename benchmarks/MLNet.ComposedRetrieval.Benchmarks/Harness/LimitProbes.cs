using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Benchmarks.Harness;

/// <summary>
/// Short measurements of the machine's limits to interleave with a case's own timings, so a burst of load from
/// other jobs on the shared machine lowers both alike: a libtorch sum over a given tensor (read bandwidth, over the
/// very data the case reads) and a 2048³ fp32 matmul (FLOP rate).
/// </summary>
internal sealed class LimitProbes : IDisposable
{
    private const int MatmulSize = 2048;
    private readonly Tensor _data;
    private readonly Tensor _sum = empty(1);
    private readonly Tensor _a = randn(MatmulSize, MatmulSize);
    private readonly Tensor _b = randn(MatmulSize, MatmulSize);
    private readonly Tensor _c = empty(MatmulSize, MatmulSize);

    public LimitProbes(Tensor data) => _data = data;

    /// <summary>Bytes one <see cref="ReadGallery"/> reads.</summary>
    public double GalleryBytes => _data.numel() * (double)_data.element_size();

    /// <summary>FLOP of one <see cref="Matmul"/>.</summary>
    public static double MatmulFlops => 2.0 * MatmulSize * MatmulSize * MatmulSize;

    public void ReadGallery()
    {
        using var inference = inference_mode();
        using var total = _data.sum();
        _sum.copy_(total);
    }

    public void Matmul()
    {
        using var inference = inference_mode();
        _c.addmm_(_a, _b, beta: 0, alpha: 1);
    }

    public void Dispose()
    {
        _sum.Dispose();
        _a.Dispose();
        _b.Dispose();
        _c.Dispose();
    }
}
