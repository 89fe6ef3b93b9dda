using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Training;

/// <summary>
/// The training objective (paper's Eq. 4, docs/method.md "Total"):
/// L = gamma * L_u(f_s, f_aug, s) + (1 - gamma) * L_info(f_s, f_t), gamma = exp(-gamma0 * epoch / totalEpochs);
/// or L_info(f_s, f_t) alone for the baseline (<see cref="LossOptions.UseUncertainty"/> false).
/// </summary>
internal sealed class ComposedRetrievalLoss
{
    private readonly TargetAugmenter? _augmenter;
    private readonly Tensor? _learnedSigma;

    /// <param name="options">Which loss and its weights.</param>
    /// <param name="noise">The augmenter's noise; unused (and not drawn from) by the baseline.</param>
    /// <param name="learnedSigma">The learned scalar s when <see cref="LossOptions.LearnSigma"/> is set; the trainer owns it.</param>
    public ComposedRetrievalLoss(LossOptions options, INoiseSource noise, Tensor? learnedSigma = null)
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
        ArgumentNullException.ThrowIfNull(noise);
        bool needsSigma = options.UseUncertainty && options.LearnSigma;
        if (needsSigma != learnedSigma is not null)
            throw new ArgumentException(needsSigma ? "LearnSigma needs the learned s." : "A learned s was given but the options do not learn s.", nameof(learnedSigma));
        _learnedSigma = learnedSigma;
        // Fail on a bad gamma0 now rather than at the first batch of a training run.
        _ = new GammaSchedule(options.Gamma0, totalEpochs: 1);
        if (options.UseUncertainty) _augmenter = new TargetAugmenter(options.W1, options.W2, noise);
    }

    /// <summary>The settings this loss was built with.</summary>
    public LossOptions Options { get; }

    /// <summary>Evaluates the loss on one batch.</summary>
    /// <param name="query">Composed query features f_s [B, D].</param>
    /// <param name="target">Target features f_t [B, D] (after the shared upper image encoder).</param>
    /// <param name="epoch">The current epoch, counted from 0.</param>
    /// <param name="totalEpochs">The number of training epochs.</param>
    public LossResult Compute(Tensor query, Tensor target, int epoch, int totalEpochs)
    {
        var gamma = new GammaSchedule(Options.Gamma0, totalEpochs).At(epoch);
        InfoNce.RequireSameBatchShape(query, target);

        using var scope = NewDisposeScope();
        var info = InfoNce.Compute(query, target);
        if (_augmenter is null)
        {
            info.MoveToOuterDisposeScope();
            return new LossResult(Total: info, InfoNce: info, Uncertainty: null, Sigma: null, Gamma: 0);
        }

        var augmented = _augmenter.Augment(target);
        if (Options.RescaleAugmentedTarget)
            augmented = nn.functional.normalize(augmented, p: 2, dim: 1) * target.norm(1, keepdim: true, p: 2).detach();
        var (uncertainty, sigma) = UncertaintyRegularization.Compute(query, augmented, _learnedSigma);
        var total = gamma * uncertainty + (1 - gamma) * info;
        return new LossResult(
            total.MoveToOuterDisposeScope(), info.MoveToOuterDisposeScope(),
            uncertainty.MoveToOuterDisposeScope(), sigma.MoveToOuterDisposeScope(), gamma);
    }
}
