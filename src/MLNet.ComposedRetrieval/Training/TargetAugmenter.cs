using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Training;

/// <summary>
/// The augmenter of the paper's Sec. 3.2, Eq. 1 (docs/method.md "Augmenter"): jitters target features f_t [B, D]
/// into f_aug = alpha * whitened(f_t) + beta with, per row i, alpha_ij = 1 + w1 * s_i * eps_ij and
/// beta_ij = mu_i + w2 * s_i * eps'_ij, where mu_i and s_i are the row's mean and unbiased std.
/// </summary>
internal sealed class TargetAugmenter
{
    /// <summary>Added to the biased row variance before the square root, as in the authors' code.</summary>
    public const double WhiteningEpsilon = 1e-5;

    private readonly INoiseSource _noise;

    /// <param name="w1">Scale of the multiplicative noise alpha (Eq. 6's w1; 1 in the paper).</param>
    /// <param name="w2">Scale of the additive noise beta (Eq. 6's w2; 1 in the paper).</param>
    /// <param name="noise">Source of eps and eps'; two draws of f_t's shape per call, eps (alpha's) first.</param>
    public TargetAugmenter(double w1, double w2, INoiseSource noise)
    {
        if (!double.IsFinite(w1) || w1 < 0) throw new ArgumentOutOfRangeException(nameof(w1), w1, "w1 must be finite and >= 0.");
        if (!double.IsFinite(w2) || w2 < 0) throw new ArgumentOutOfRangeException(nameof(w2), w2, "w2 must be finite and >= 0.");
        W1 = w1;
        W2 = w2;
        _noise = noise ?? throw new ArgumentNullException(nameof(noise));
    }

    /// <summary>Scale of the multiplicative noise.</summary>
    public double W1 { get; }

    /// <summary>Scale of the additive noise.</summary>
    public double W2 { get; }

    /// <summary>Returns f_aug [B, D] for <paramref name="target"/> [B, D] (B &gt; 0, D &gt; 1); gradients flow through the whitening.</summary>
    public Tensor Augment(Tensor target)
    {
        if (target.dim() != 2 || target.shape[0] == 0 || target.shape[1] < 2)
            throw new ArgumentException($"target must be [B, D] with B > 0 and D > 1; found [{string.Join(", ", target.shape)}].", nameof(target));

        using var scope = NewDisposeScope();
        // The noise statistics are constants of the batch: the authors compute them without gradient.
        Tensor rowMean, rowStd;
        using (no_grad())
        {
            rowMean = target.mean([1], keepdim: true);
            rowStd = target.std(1, unbiased: true, keepdim: true);
        }
        var eps = _noise.StandardNormal(target.shape, target.dtype, target.device);
        var epsBeta = _noise.StandardNormal(target.shape, target.dtype, target.device);
        var alpha = 1.0 + W1 * rowStd * eps;
        var beta = rowMean + W2 * rowStd * epsBeta;

        // Whitening keeps its gradient and uses the biased variance (instance-norm style), unlike the noise scale.
        var centered = target - target.mean([1], keepdim: true);
        var whitened = centered / (target.var(1, unbiased: false, keepdim: true) + WhiteningEpsilon).sqrt();
        return (alpha * whitened + beta).MoveToOuterDisposeScope();
    }
}
