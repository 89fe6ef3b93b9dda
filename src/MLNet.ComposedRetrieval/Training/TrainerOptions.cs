namespace MLNet.ComposedRetrieval.Training;

/// <summary>Settings of one training run; the defaults are <see cref="TrainingDefaults"/>.</summary>
internal sealed record TrainerOptions
{
    public int Epochs { get; init; } = TrainingDefaults.Epochs;

    /// <summary>Triplets per batch; the last incomplete batch of an epoch is dropped (InfoNCE needs in-batch negatives).</summary>
    public int BatchSize { get; init; } = TrainingDefaults.BatchSize;

    /// <summary>Sample this many triplets per epoch (a fresh seeded sample each epoch) instead of a full pass.</summary>
    public int? TripletsPerEpoch { get; init; }

    public double LearningRate { get; init; } = TrainingDefaults.LearningRate;
    public double Momentum { get; init; } = TrainingDefaults.Momentum;
    public double WeightDecay { get; init; } = TrainingDefaults.WeightDecay;

    /// <summary>Linear warm-up from 0.01 x lr over this many epochs (advanced every step).</summary>
    public double WarmupEpochs { get; init; } = TrainingDefaults.WarmupEpochs;

    /// <summary>Epochs at which the learning rate is multiplied by 0.1; null for the default step
    /// (<see cref="TrainingDefaults.DecayEpochs"/>), empty for none.</summary>
    public IReadOnlyList<int>? DecayEpochs { get; init; }

    /// <summary>The decay epochs in force: <see cref="DecayEpochs"/> or the default step.</summary>
    public IReadOnlyList<int> ResolvedDecayEpochs => DecayEpochs ?? TrainingDefaults.DecayEpochs(Epochs, Math.Min(WarmupEpochs, Epochs));

    /// <summary>The pretrained text encoder trains at lr x this (docs/method.md: 0.01).</summary>
    public double TextEncoderLearningRateMultiplier { get; init; } = TrainingDefaults.TextEncoderLearningRateMultiplier;

    /// <summary>The image backbone, when fine-tuned, trains at lr x this.</summary>
    public double ImageBackboneLearningRateMultiplier { get; init; } = TrainingDefaults.ImageEncoderLearningRateMultiplier;

    public LossOptions Loss { get; init; } = new();

    /// <summary>Seeds sampling, batch order and the augmenter's noise; the same seed gives the same run.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>The recall cut-off that picks the kept epoch (the paper keeps the best validation R@10).</summary>
    public int SelectionK { get; init; } = 10;

    public void Validate()
    {
        if (Epochs <= 0) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "Epochs must be positive.");
        if (BatchSize < 2) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "InfoNCE needs a batch of at least 2.");
        if (TripletsPerEpoch is < 2) throw new ArgumentOutOfRangeException(nameof(TripletsPerEpoch), TripletsPerEpoch, "Must be at least one batch.");
        if (LearningRate <= 0) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "Learning rate must be positive.");
    }
}
