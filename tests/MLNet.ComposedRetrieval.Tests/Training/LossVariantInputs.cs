using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Training;

/// <summary>A float64 batch for the loss-variant tests: 6 queries and targets of norm 4 (the model's) in 32-d, and the
/// jitter noise alpha, beta, drawn in that order after seeding the global generator with <paramref name="seed"/>.</summary>
internal static class LossVariantInputs
{
    public static (Tensor Query, Tensor Target, Tensor Alpha, Tensor Beta) Draw(int seed)
    {
        manual_seed(seed);
        var query = nn.functional.normalize(randn(6, 32, dtype: ScalarType.Float64), dim: 1) * 4;
        var target = nn.functional.normalize(randn(6, 32, dtype: ScalarType.Float64), dim: 1) * 4;
        var alpha = randn(6, 32, dtype: ScalarType.Float64);
        var beta = randn(6, 32, dtype: ScalarType.Float64);
        return (query, target, alpha, beta);
    }
}
