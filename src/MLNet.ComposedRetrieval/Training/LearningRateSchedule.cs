namespace MLNet.ComposedRetrieval.Training;

/// <summary>
/// The base learning rate over training (docs/method.md "Training"; the authors' LinearLR warm-up followed by a
/// MultiStepLR): a linear warm-up from <c>WarmupStartFactor x lr</c> at epoch 0 to <c>lr</c> at
/// <see cref="WarmupEpochs"/>, then a multiplication by <see cref="DecayFactor"/> at each decay epoch.
/// Epoch progress may be fractional (epoch + share of its steps done) so the warm-up can advance every step;
/// at whole epochs the values equal the authors' per-epoch schedule.
/// </summary>
internal sealed class LearningRateSchedule
{
    /// <summary>The paper's warm-up length in epochs.</summary>
    public const double DefaultWarmupEpochs = 5;

    /// <summary>The warm-up starts at this fraction of the base learning rate.</summary>
    public const double DefaultWarmupStartFactor = 0.01;

    /// <summary>Each decay multiplies the learning rate by this.</summary>
    public const double DefaultDecayFactor = 0.1;

    /// <param name="baseLearningRate">The learning rate after warm-up and before any decay (&gt; 0).</param>
    /// <param name="decayEpochs">Epochs (0-based) from which one more decay applies, for example 35 and 42 of 60;
    /// empty for no decay. Must not fall inside the warm-up.</param>
    /// <param name="warmupEpochs">Length of the warm-up in epochs; 0 for none.</param>
    /// <param name="warmupStartFactor">Fraction of the base rate at epoch 0, in (0, 1].</param>
    /// <param name="decayFactor">Multiplier applied at each decay epoch, in (0, 1].</param>
    public LearningRateSchedule(
        double baseLearningRate,
        IEnumerable<int> decayEpochs,
        double warmupEpochs = DefaultWarmupEpochs,
        double warmupStartFactor = DefaultWarmupStartFactor,
        double decayFactor = DefaultDecayFactor)
    {
        ArgumentNullException.ThrowIfNull(decayEpochs);
        if (!double.IsFinite(baseLearningRate) || baseLearningRate <= 0)
            throw new ArgumentOutOfRangeException(nameof(baseLearningRate), baseLearningRate, "The base learning rate must be finite and > 0.");
        if (!double.IsFinite(warmupEpochs) || warmupEpochs < 0)
            throw new ArgumentOutOfRangeException(nameof(warmupEpochs), warmupEpochs, "The warm-up length must be finite and >= 0 epochs.");
        if (!(warmupStartFactor > 0 && warmupStartFactor <= 1))
            throw new ArgumentOutOfRangeException(nameof(warmupStartFactor), warmupStartFactor, "The warm-up start factor must be in (0, 1].");
        if (!(decayFactor > 0 && decayFactor <= 1))
            throw new ArgumentOutOfRangeException(nameof(decayFactor), decayFactor, "The decay factor must be in (0, 1].");

        var sorted = decayEpochs.Order().ToArray();
        for (var i = 0; i < sorted.Length; i++)
        {
            if (sorted[i] < warmupEpochs)
                throw new ArgumentException($"Decay epoch {sorted[i]} falls inside the {warmupEpochs}-epoch warm-up.", nameof(decayEpochs));
            if (i > 0 && sorted[i] == sorted[i - 1])
                throw new ArgumentException($"Decay epoch {sorted[i]} is listed twice.", nameof(decayEpochs));
        }

        BaseLearningRate = baseLearningRate;
        DecayEpochs = sorted;
        WarmupEpochs = warmupEpochs;
        WarmupStartFactor = warmupStartFactor;
        DecayFactor = decayFactor;
    }

    /// <summary>The learning rate after warm-up and before any decay.</summary>
    public double BaseLearningRate { get; }

    /// <summary>The decay epochs, ascending.</summary>
    public IReadOnlyList<int> DecayEpochs { get; }

    /// <summary>Length of the warm-up in epochs.</summary>
    public double WarmupEpochs { get; }

    /// <summary>Fraction of the base rate at epoch 0.</summary>
    public double WarmupStartFactor { get; }

    /// <summary>Multiplier applied at each decay epoch.</summary>
    public double DecayFactor { get; }

    /// <summary>The learning rate at <paramref name="epochProgress"/> (&gt;= 0; 2.5 = halfway through epoch 2).</summary>
    public double At(double epochProgress)
    {
        if (!double.IsFinite(epochProgress) || epochProgress < 0)
            throw new ArgumentOutOfRangeException(nameof(epochProgress), epochProgress, "Epoch progress must be finite and >= 0.");

        if (epochProgress < WarmupEpochs)
            return BaseLearningRate * (WarmupStartFactor + (1 - WarmupStartFactor) * epochProgress / WarmupEpochs);
        var decays = DecayEpochs.Count(decayEpoch => epochProgress >= decayEpoch);
        return BaseLearningRate * Math.Pow(DecayFactor, decays);
    }

    /// <summary>The learning rate for step <paramref name="step"/> (0-based) of <paramref name="stepsPerEpoch"/> in <paramref name="epoch"/>.</summary>
    public double At(int epoch, int step, int stepsPerEpoch)
    {
        if (stepsPerEpoch <= 0) throw new ArgumentOutOfRangeException(nameof(stepsPerEpoch), stepsPerEpoch, "Steps per epoch must be > 0.");
        if (step < 0 || step >= stepsPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(step), step, $"The step must be in [0, {stepsPerEpoch}).");
        return At(epoch + (double)step / stepsPerEpoch);
    }
}
