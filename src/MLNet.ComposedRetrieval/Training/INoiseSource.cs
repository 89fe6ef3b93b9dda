using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Training;

/// <summary>
/// Where the augmenter's standard-normal draws come from (docs/method.md "Augmenter": eps and eps'). Training uses a
/// seeded <see cref="TorchNoiseSource"/>; tests inject fixed draws with <see cref="FixedNoiseSource"/>.
/// </summary>
internal interface INoiseSource
{
    /// <summary>A new tensor of independent N(0, 1) draws with the given shape, dtype and device, without gradient.</summary>
    Tensor StandardNormal(long[] shape, ScalarType dtype, Device device);
}
