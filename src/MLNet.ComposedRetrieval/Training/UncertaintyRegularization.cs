using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Training;

/// <summary>
/// The uncertainty regularisation of the paper's Eq. 3 in the form the authors' code computes it
/// (docs/method.md "Uncertainty regularisation"): with s the unbiased std over all entries of f_aug (gradient flows),
/// L_u = 0.5 * (exp(-s) * L_info(f_s, f_aug) + s), i.e. s plays the role of log sigma^2.
/// With <see cref="LossOptions.LearnSigma"/> the caller passes a learned s instead.
/// </summary>
internal static class UncertaintyRegularization
{
    /// <summary>Returns L_u and s as scalar tensors; gradients flow to both inputs through both terms.</summary>
    /// <param name="query">Composed query features f_s [B, D].</param>
    /// <param name="augmentedTarget">f_aug [B, D] from <see cref="TargetAugmenter"/>.</param>
    /// <param name="learnedSigma">A learned scalar s (the variant), or null for the paper's s = std(f_aug).</param>
    public static (Tensor Loss, Tensor Sigma) Compute(Tensor query, Tensor augmentedTarget, Tensor? learnedSigma = null)
    {
        InfoNce.RequireSameBatchShape(query, augmentedTarget);
        if (learnedSigma is not null && learnedSigma.numel() != 1)
            throw new ArgumentException($"A learned s must be a scalar; found shape [{string.Join(", ", learnedSigma.shape)}].", nameof(learnedSigma));
        using var scope = NewDisposeScope();
        // "+ 0" gives the learned s a graph node of its own: the caller disposes the returned s, never the parameter.
        var sigma = learnedSigma is null ? augmentedTarget.std(unbiased: true) : learnedSigma.reshape() + 0.0;
        var loss = 0.5 * (exp(-sigma) * InfoNce.Compute(query, augmentedTarget) + sigma);
        return (loss.MoveToOuterDisposeScope(), sigma.MoveToOuterDisposeScope());
    }
}
