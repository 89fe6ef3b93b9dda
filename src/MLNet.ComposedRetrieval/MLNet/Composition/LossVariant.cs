using MLNet.ComposedRetrieval.Training;

namespace MLNet.ComposedRetrieval;

/// <summary>The training loss of <see cref="ComposeImageTextEstimator"/> (docs/method.md "Loss").</summary>
public enum LossVariant
{
    /// <summary>The baseline: InfoNCE between composed queries and targets with in-batch negatives (Eq. 1).</summary>
    InfoNce,

    /// <summary>The paper's loss: InfoNCE plus the uncertainty regularisation on jittered targets (Eq. 3-6).</summary>
    Uncertainty,

    /// <summary>A variant, not the paper's: <see cref="Uncertainty"/> with each jittered target rescaled to the clean
    /// target's norm, which keeps the jitter and removes the sharper logits of the whitened targets.</summary>
    UncertaintyRescaledTargets,

    /// <summary>A variant, not the paper's: <see cref="Uncertainty"/> with the scale s learned (a homoscedastic log
    /// variance) instead of the standard deviation of the jittered target's entries.</summary>
    UncertaintyLearnedScale,
}

/// <summary>The trainer's loss settings of a <see cref="LossVariant"/>.</summary>
internal static class LossVariants
{
    /// <param name="variant">The loss.</param>
    /// <param name="gamma0">gamma0 of Eq. 4.</param>
    /// <param name="w1">w1 of Eq. 6.</param>
    /// <param name="w2">w2 of Eq. 6.</param>
    public static LossOptions ToLossOptions(this LossVariant variant, double gamma0, double w1, double w2) => new()
    {
        UseUncertainty = variant != LossVariant.InfoNce,
        RescaleAugmentedTarget = variant == LossVariant.UncertaintyRescaledTargets,
        LearnSigma = variant == LossVariant.UncertaintyLearnedScale,
        Gamma0 = gamma0,
        W1 = w1,
        W2 = w2,
    };
}
