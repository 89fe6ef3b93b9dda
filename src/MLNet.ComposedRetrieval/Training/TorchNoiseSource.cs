using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Training;

/// <summary>
/// Standard-normal draws from a private, seeded <see cref="Generator"/>, so the augmenter's noise is reproducible
/// and independent of torch's global random state (which dropout or data augmentation may also consume).
/// Draws are made on the CPU and then moved, so one seed gives the same noise on every device.
/// </summary>
internal sealed class TorchNoiseSource : INoiseSource, IDisposable
{
    private readonly Generator _generator;

    /// <summary>Creates a source whose sequence of draws is fixed by <paramref name="seed"/>.</summary>
    public TorchNoiseSource(ulong seed)
    {
        _generator = new Generator(seed, CPU);
    }

    /// <inheritdoc />
    public Tensor StandardNormal(long[] shape, ScalarType dtype, Device device)
    {
        var draws = randn(shape, dtype: dtype, device: CPU, generator: _generator);
        if (device.type == DeviceType.CPU) return draws;
        using (draws) return draws.to(device);
    }

    /// <inheritdoc />
    public void Dispose() => _generator.Dispose();
}
