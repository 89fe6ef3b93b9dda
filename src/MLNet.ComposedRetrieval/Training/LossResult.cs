using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Training;

/// <summary>
/// One evaluation of <see cref="ComposedRetrievalLoss"/>: <see cref="Total"/> to back-propagate, and its parts
/// for logging (scalar tensors; read them with <c>ToDouble()</c>). Disposing releases the tensors.
/// </summary>
/// <param name="Total">L = gamma * L_u + (1 - gamma) * L_info(f_s, f_t); for the baseline, L_info itself.</param>
/// <param name="InfoNce">The clean fine-grained term L_info(f_s, f_t).</param>
/// <param name="Uncertainty">L_u(f_s, f_aug, s); null for the baseline.</param>
/// <param name="Sigma">s, the std of all entries of f_aug; null for the baseline.</param>
/// <param name="Gamma">The weight of L_u this epoch; 0 for the baseline (Eq. 4 then reduces to L_info).</param>
internal sealed record LossResult(Tensor Total, Tensor InfoNce, Tensor? Uncertainty, Tensor? Sigma, double Gamma) : IDisposable
{
    /// <inheritdoc />
    public void Dispose()
    {
        // For the baseline Total and InfoNce are the same tensor.
        foreach (var tensor in new[] { Total, InfoNce, Uncertainty, Sigma }.Distinct(ReferenceEqualityComparer.Instance))
            (tensor as Tensor)?.Dispose();
    }
}
