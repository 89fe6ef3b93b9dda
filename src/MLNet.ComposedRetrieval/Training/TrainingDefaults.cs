namespace MLNet.ComposedRetrieval.Training;

/// <summary>
/// The one set of training defaults, shared by the ML.NET estimator's options, the trainer and the main job.
/// They follow the paper's code (docs/method.md), scaled to a CPU budget of 8 epochs.
/// </summary>
internal static class TrainingDefaults
{
    public const int Epochs = 8;
    public const int BatchSize = 32;
    public const double LearningRate = 0.02;
    public const double Momentum = 0.9;
    public const double WeightDecay = 5e-5;
    public const double TextEncoderLearningRateMultiplier = 0.01;

    /// <summary>Tokens kept per text, special tokens included.</summary>
    public const int MaxTextLength = 64;

    /// <summary>gamma0 of the loss weight gamma = exp(-gamma0 * epoch / epochs) (Eq. 4).</summary>
    public const double Gamma0 = 1.0;

    /// <summary>w1, the scale of the augmenter's multiplicative noise (Eq. 6).</summary>
    public const double W1 = 1.0;

    /// <summary>w2, the scale of the augmenter's additive noise (Eq. 6).</summary>
    public const double W2 = 1.0;

    /// <summary>A fine-tuned image encoder's learning rate multiplier.</summary>
    public const double ImageEncoderLearningRateMultiplier = 1.0;

    /// <summary>Texts per encoder call while filling a feature cache.</summary>
    public const int FeatureBatchSize = 128;

    /// <summary>Items per network call while evaluating.</summary>
    public const int EvaluationBatchSize = 128;

    /// <summary>The Recall@K cut-offs of validation and evaluation.</summary>
    public static readonly IReadOnlyList<int> Ks = [1, 10, 50];

    /// <summary>The paper's code warms up over 5 of 60 epochs (the paper: 5 of 50); over 8 epochs that is under one
    /// epoch, so one.</summary>
    public const double WarmupEpochs = 1;

    /// <summary>Where the one default x0.1 step falls, as a share of the epochs. The paper steps once, at epoch 45 of 50
    /// (0.9); the authors' code at 35 and 42 of 60 (0.58, 0.7). A single step at 0.75 (epoch 6 of 8, the last two epochs
    /// at lr/10) lies between them and is what the independent PyTorch reference of our benchmark ran.</summary>
    public const double DecayShare = 0.75;

    /// <summary>The default decay epochs (0-based) for a run of <paramref name="epochs"/>: one step at
    /// <see cref="DecayShare"/> of them, never inside the warm-up.</summary>
    public static IReadOnlyList<int> DecayEpochs(int epochs, double warmupEpochs) =>
        [Math.Max((int)Math.Ceiling(DecayShare * epochs), (int)Math.Ceiling(warmupEpochs))];
}
