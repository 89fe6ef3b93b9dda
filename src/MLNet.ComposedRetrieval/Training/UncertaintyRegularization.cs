using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Training;

/// <summary>
/// The uncertainty regularisation of the paper's Eq. 3 in the form the authors' code computes it
/// (METHOD.md "Uncertainty regularisation"): with s the unbiased std over all entries of f_aug (gradient flows),
/// L_u = 0.5 * (exp(-s) * L_info(f_s, f_aug) + s), i.e. s plays the role of log sigma^2.
/// </summary>
internal static class UncertaintyRegularization
{
    /// <summary>Returns L_u and s as scalar tensors; gradients flow to both inputs through both terms.</summary>
    /// <param name="query">Composed query features f_s [B, D].</param>
    /// <param name="augmentedTarget">f_aug [B, D] from <see cref="TargetAugmenter"/>.</param>
    public static (Tensor Loss, Tensor Sigma) Compute(Tensor query, Tensor augmentedTarget)
    {
        InfoNce.RequireSameBatchShape(query, augmentedTarget);
        using var scope = NewDisposeScope();
        var sigma = augmentedTarget.std(unbiased: true);
        var loss = 0.5 * (exp(-sigma) * InfoNce.Compute(query, augmentedTarget) + sigma);
        return (loss.MoveToOuterDisposeScope(), sigma.MoveToOuterDisposeScope());
    }
}
