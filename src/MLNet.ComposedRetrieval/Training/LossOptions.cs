namespace MLNet.ComposedRetrieval.Training;

/// <summary>Settings of <see cref="ComposedRetrievalLoss"/>; the defaults are the paper's.</summary>
internal sealed record LossOptions
{
    /// <summary>True: the paper's multi-grained loss (Eq. 4). False: the InfoNCE-only baseline.</summary>
    public bool UseUncertainty { get; init; } = true;

    /// <summary>gamma0 of the gamma schedule (Eq. 4).</summary>
    public double Gamma0 { get; init; } = TrainingDefaults.Gamma0;

    /// <summary>Scale of the augmenter's multiplicative noise (Eq. 6's w1).</summary>
    public double W1 { get; init; } = TrainingDefaults.W1;

    /// <summary>Scale of the augmenter's additive noise (Eq. 6's w2).</summary>
    public double W2 { get; init; } = TrainingDefaults.W2;

    /// <summary>
    /// A variant, not the paper's: rescale each augmented target row to the clean target's norm before the InfoNCE of
    /// L_u. The faithful f_aug is whitened and not re-normalised (norm about sqrt(D) instead of 4), so its logits are
    /// several times sharper than the clean term's (docs/method.md); this keeps the jitter and removes that sharpening.
    /// </summary>
    public bool RescaleAugmentedTarget { get; init; }

    /// <summary>
    /// A variant, not the paper's: s is a learned scalar (a homoscedastic log variance, as in Kendall and Gal's task
    /// weighting) instead of the std of f_aug's entries. The faithful s is pinned near sqrt(1 + 2 * NormScale^2 / D)
    /// by the normalised targets (docs/method.md), so the regularisation never adapts; a learned s moves towards
    /// log L_info(f_s, f_aug), which weighs the jittered term by the inverse of its own loss.
    /// </summary>
    public bool LearnSigma { get; init; }
}
