namespace MLNet.ComposedRetrieval.Training;

/// <summary>Settings of one training run (METHOD.md "Training"; defaults are the paper's code for FashionIQ,
/// except the epoch count, which suits a CPU).</summary>
internal sealed record TrainerOptions
{
    public int Epochs { get; init; } = 8;

    /// <summary>Triplets per batch; the last incomplete batch of an epoch is dropped (InfoNCE needs in-batch negatives).</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Sample this many triplets per epoch (a fresh seeded sample each epoch) instead of a full pass.</summary>
    public int? TripletsPerEpoch { get; init; }

    public double LearningRate { get; init; } = 0.02;
    public double Momentum { get; init; } = 0.9;
    public double WeightDecay { get; init; } = 5e-5;

    /// <summary>Linear warm-up from 0.01 x lr over this many epochs (advanced every step).</summary>
    public double WarmupEpochs { get; init; } = 5;

    /// <summary>Epochs at which the learning rate is multiplied by 0.1.</summary>
    public IReadOnlyList<int> DecayEpochs { get; init; } = [];

    /// <summary>The pretrained text encoder trains at lr x this (METHOD.md: 0.01).</summary>
    public double TextEncoderLearningRateMultiplier { get; init; } = 0.01;

    /// <summary>The image backbone, when fine-tuned, trains at lr x this.</summary>
    public double ImageBackboneLearningRateMultiplier { get; init; } = 1.0;

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
