using Microsoft.ML;
using Microsoft.ML.Runtime;

using MLNet.ComposedRetrieval.Training;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// Trains composed image retrieval with text feedback (the ICLR 2024 multi-grained uncertainty regularisation method)
/// on an <see cref="IDataView"/> of triplets: a reference image, a modification text ("like this, but in red") and the
/// target image it should lead to. The fitted <see cref="ComposeImageTextTransformer"/> adds the composed query
/// embedding to rows with a reference image and a text.
/// </summary>
/// <remarks>
/// <para>Create it with <c>mlContext.Transforms.ComposeImageText(...)</c>. Image columns may hold images
/// (<c>MLImage</c>, from <c>mlContext.Transforms.LoadImages</c>) or image paths (relative paths are resolved against
/// <see cref="Options.ImageFolder"/>).</para>
/// <para>Encoders: an ImageNet ResNet-18 and the MiniLM sentence encoder, both pretrained and frozen by default (their
/// features are computed once per image and text and cached), or small randomly initialised encoders for tests and
/// demos. Training runs TorchSharp on the device <c>MLContext.GpuDeviceId</c> / <c>FallbackToCpu</c> select; progress
/// and per-epoch figures go to <c>MLContext.Log</c> (and progress to <see cref="Options.Progress"/>). Data in the
/// default columns comes from the loaders of <see cref="CompositionDataCatalog"/>.</para>
/// </remarks>
public sealed class ComposeImageTextEstimator : IEstimator<ComposeImageTextTransformer>
{
    internal const string ComponentName = "ComposeImageText";
    private readonly ComponentEnvironment _environment;
    private readonly Options _options;

    /// <summary>Creates the estimator for <paramref name="mlContext"/> (the catalog extension
    /// <c>mlContext.Transforms.ComposeImageText</c> does the same).</summary>
    public ComposeImageTextEstimator(MLContext mlContext, Options options)
        : this(ComponentEnvironment.From(mlContext), options) { }

    internal ComposeImageTextEstimator(ComponentEnvironment environment, Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _environment = environment;
        _options = options.Clone();
    }

    /// <summary>
    /// Trains on <paramref name="input"/>'s triplets and returns the transformer holding the kept epoch's weights (the
    /// best validation Recall@10 when <see cref="Options.ValidationSet"/> is given, else the last epoch).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type.</exception>
    /// <exception cref="ArgumentException">The data holds fewer triplets than one batch.</exception>
    /// <exception cref="OperationCanceledException"><see cref="Options.CancellationToken"/> was cancelled.</exception>
    /// <exception cref="InvalidOperationException"><see cref="Options.CheckpointFolder"/> holds a checkpoint of other settings.</exception>
    public ComposeImageTextTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new CompositionTrainingRun(_environment, _options).Run(input);
    }

    /// <summary>The input shape plus the query embedding column (a Single vector of <see cref="Options.EmbeddingDimension"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ColumnBinding.CheckImage(inputSchema, _options.ReferenceImageColumnName, "reference image");
        ColumnBinding.CheckText(inputSchema, _options.TextColumnName, "modification text");
        ColumnBinding.CheckImage(inputSchema, _options.TargetImageColumnName, "target image");
        return SchemaShapes.AppendSingleVector(inputSchema, _options.OutputColumnName, _options.EmbeddingDimension);
    }

    /// <summary>Default column names and sizes.</summary>
    internal static class Defaults
    {
        public const string OutputColumnName = "QueryEmbedding";
        public const string ReferenceImageColumnName = "ReferenceImage";
        public const string TextColumnName = "ModificationText";
        public const string TargetImageColumnName = "TargetImage";
        public const int InferenceBatchSize = 32;
    }

    /// <summary>Settings of <see cref="ComposeImageTextEstimator"/>. The training defaults are the paper's code for
    /// FashionIQ (docs/method.md "Training"), except the epoch count, which suits a CPU.</summary>
    public sealed class Options
    {
        /// <summary>The column to add: the composed query embedding, a Single vector of <see cref="EmbeddingDimension"/>.</summary>
        public string OutputColumnName = Defaults.OutputColumnName;

        /// <summary>The reference image column: an image (MLImage) or a String path.</summary>
        public string ReferenceImageColumnName = Defaults.ReferenceImageColumnName;

        /// <summary>The modification text column (String).</summary>
        public string TextColumnName = Defaults.TextColumnName;

        /// <summary>The target image column (training only): an image (MLImage) or a String path.</summary>
        public string TargetImageColumnName = Defaults.TargetImageColumnName;

        /// <summary>The folder relative image paths are resolved against; null for paths as they are.</summary>
        public string? ImageFolder;

        /// <summary>The image encoder; the pretrained ResNet-18 by default.</summary>
        public ImageEncoderArchitecture ImageEncoder = ImageEncoderArchitecture.ResNet18;

        /// <summary>The text encoder; the pretrained MiniLM by default.</summary>
        public TextEncoderArchitecture TextEncoder = TextEncoderArchitecture.MiniLM;

        /// <summary>Train the image encoder too. Null (the default): pretrained encoders stay frozen (their maps are
        /// computed once and cached), small encoders are trained.</summary>
        public bool? FineTuneImageEncoder;

        /// <summary>Train the text encoder too (at <see cref="TextEncoderLearningRateMultiplier"/> x the learning rate).
        /// Null (the default): the pretrained encoder stays frozen, the small one is trained.</summary>
        public bool? FineTuneTextEncoder;

        /// <summary>Keep ResNet's layer4 at stride 1 (a 14 x 14 map at 224 input), as the paper's code does for FashionIQ
        /// and Shoes; slower, finer maps.</summary>
        public bool Layer4StrideOne;

        /// <summary>Input width and height of <see cref="ImageEncoderArchitecture.SmallConvNet"/> (a multiple of 8, at least 32).</summary>
        public int SmallImageEncoderInputSize = 64;

        /// <summary>D, the width of every embedding (512 in the paper).</summary>
        public int EmbeddingDimension = 512;

        /// <summary>Dropout rate after the text projection while training; 0 (the method's) for none. The paper's
        /// Table 3 tries it on the InfoNCE baseline as a simpler regulariser than the uncertainty loss.</summary>
        public double TextDropout;

        /// <summary>The compositor's style linears with an equalised learning rate, as the method's code has them
        /// (default); false for plain linears.</summary>
        public bool EqualizedStyleLinears = true;

        /// <summary>Tokens kept per text, special tokens included; longer texts are cut.</summary>
        public int MaxTextLength = TrainingDefaults.MaxTextLength;

        /// <summary>Training epochs.</summary>
        public int Epochs = TrainingDefaults.Epochs;

        /// <summary>Triplets per optimiser step; also the number of in-batch negatives of InfoNCE plus one.</summary>
        public int BatchSize = TrainingDefaults.BatchSize;

        /// <summary>Base learning rate of SGD (momentum <see cref="Momentum"/>).</summary>
        public double LearningRate = TrainingDefaults.LearningRate;

        /// <summary>Train on a fresh seeded sample of this many triplets each epoch instead of all of them; null for all.</summary>
        public int? TripletsPerEpoch;

        /// <summary>Linear warm-up of the learning rate from 1% over this many epochs (capped at <see cref="Epochs"/>).
        /// The paper's code warms up over 5 of 60 epochs; over the default 8 epochs that is under one, so 1.</summary>
        public double WarmupEpochs = TrainingDefaults.WarmupEpochs;

        /// <summary>Epochs (from 0) at which the learning rate is multiplied by 0.1; empty for no decay. Null (the
        /// default): one step at three quarters of <see cref="Epochs"/> (epoch 6 of 8: the last two epochs at a tenth of
        /// the rate), between the paper's single step at epoch 45 of 50 and its code's steps at 35 and 42 of 60; see
        /// docs/method.md.</summary>
        public int[]? LearningRateDecayEpochs;

        /// <summary>The decay epochs training uses: <see cref="LearningRateDecayEpochs"/>, or the default step for
        /// <see cref="Epochs"/> and <see cref="WarmupEpochs"/> when that is null.</summary>
        public IReadOnlyList<int> ResolvedLearningRateDecayEpochs =>
            LearningRateDecayEpochs ?? TrainingDefaults.DecayEpochs(Epochs, Math.Min(WarmupEpochs, Epochs));

        /// <summary>SGD momentum.</summary>
        public double Momentum = TrainingDefaults.Momentum;

        /// <summary>SGD weight decay.</summary>
        public double WeightDecay = TrainingDefaults.WeightDecay;

        /// <summary>A fine-tuned text encoder trains at the learning rate times this (the paper: 0.01).</summary>
        public double TextEncoderLearningRateMultiplier = TrainingDefaults.TextEncoderLearningRateMultiplier;

        /// <summary>A fine-tuned image encoder trains at the learning rate times this.</summary>
        public double ImageEncoderLearningRateMultiplier = TrainingDefaults.ImageEncoderLearningRateMultiplier;

        /// <summary>The training loss: the paper's uncertainty regularisation (default), the InfoNCE baseline or a variant.</summary>
        public LossVariant Loss = LossVariant.Uncertainty;

        /// <summary>gamma0 (Eq. 4): how fast the weight gamma = exp(-gamma0 * epoch / epochs) of the InfoNCE term
        /// decays towards the uncertainty term over training.</summary>
        public double UncertaintyWeightDecayRate = TrainingDefaults.Gamma0;

        /// <summary>w1 (Eq. 6): the scale of the multiplicative noise that jitters the targets.</summary>
        public double MultiplicativeNoiseScale = TrainingDefaults.W1;

        /// <summary>w2 (Eq. 6): the scale of the additive noise that jitters the targets.</summary>
        public double AdditiveNoiseScale = TrainingDefaults.W2;

        /// <summary>Random resized crops and flips of training images when the image encoder is trained.</summary>
        public bool AugmentImages = true;

        /// <summary>Seeds initialisation, sampling, batch order and noise; null to draw one from the MLContext's seed. Runs
        /// repeat exactly when no other code draws from TorchSharp's global random generator at the same time.</summary>
        public int? Seed;

        /// <summary>A folder where the features of frozen encoders are cached between runs (keyed by encoder, weights and
        /// preprocessing; delete it if image files change in place). Null: a temporary folder, deleted after training.</summary>
        public string? FeatureCacheFolder;

        /// <summary>A folder where a checkpoint is written after every epoch. A later <see cref="ComposeImageTextEstimator.Fit"/>
        /// with the same folder, data and options (set <see cref="Seed"/>) resumes after the last finished epoch. Null: no checkpoints.</summary>
        public string? CheckpointFolder;

        /// <summary>Cancels <see cref="ComposeImageTextEstimator.Fit"/> between training steps and feature batches
        /// (an <see cref="OperationCanceledException"/>; with <see cref="CheckpointFolder"/>, a later Fit resumes).</summary>
        public CancellationToken CancellationToken;

        /// <summary>Receives progress of feature caching and of every training step, besides <c>MLContext.Log</c>.</summary>
        public IProgress<TrainingProgress>? Progress;

        /// <summary>Optional validation queries, with the same columns as the training data; Recall@1/10/50 is computed
        /// after every epoch and the epoch with the best Recall@10 is kept. A String target column may list several
        /// acceptable targets separated by ';' (a hit when any of them is in the top K).</summary>
        public IDataView? ValidationSet;

        /// <summary>Optional gallery for validation (column <see cref="ValidationGalleryImageColumnName"/>); by default
        /// the images of <see cref="ValidationSet"/>.</summary>
        public IDataView? ValidationGallery;

        /// <summary>The image column of <see cref="ValidationGallery"/>.</summary>
        public string ValidationGalleryImageColumnName = "Image";

        /// <summary>Rows per network call when the fitted transformer computes embeddings.</summary>
        public int InferenceBatchSize = Defaults.InferenceBatchSize;

        internal bool ImageEncoderTrained => FineTuneImageEncoder ?? ImageEncoder == ImageEncoderArchitecture.SmallConvNet;

        internal bool TextEncoderTrained => FineTuneTextEncoder ?? TextEncoder == TextEncoderArchitecture.SmallTransformer;

        /// <summary>The encoders and upper part these options train (the model file's description before the encoders fill it in).</summary>
        internal ModelDescription ToModelDescription() => new()
        {
            ImageEncoder = ImageEncoder, TextEncoder = TextEncoder, Layer4StrideOne = Layer4StrideOne,
            SmallImageInputSize = SmallImageEncoderInputSize, MaxTextLength = MaxTextLength,
            EmbeddingDimension = EmbeddingDimension, TextDropout = TextDropout, EqualizedStyleLinears = EqualizedStyleLinears,
            ImageEncoderFineTuned = ImageEncoderTrained, TextEncoderFineTuned = TextEncoderTrained,
        };

        /// <summary>The trainer's settings of one run seeded with <paramref name="seed"/>.</summary>
        internal TrainerOptions ToTrainerOptions(int seed) => new()
        {
            Epochs = Epochs,
            BatchSize = BatchSize,
            TripletsPerEpoch = TripletsPerEpoch,
            LearningRate = LearningRate,
            Momentum = Momentum,
            WeightDecay = WeightDecay,
            WarmupEpochs = WarmupEpochs,
            DecayEpochs = LearningRateDecayEpochs,
            TextEncoderLearningRateMultiplier = TextEncoderLearningRateMultiplier,
            ImageBackboneLearningRateMultiplier = ImageEncoderLearningRateMultiplier,
            Loss = Loss.ToLossOptions(UncertaintyWeightDecayRate, MultiplicativeNoiseScale, AdditiveNoiseScale),
            Seed = seed,
        };

        internal Options Clone()
        {
            var copy = (Options)MemberwiseClone();
            copy.LearningRateDecayEpochs = (int[]?)LearningRateDecayEpochs?.Clone();
            return copy;
        }

        internal void Validate()
        {
            RequireName(OutputColumnName, nameof(OutputColumnName));
            RequireName(ReferenceImageColumnName, nameof(ReferenceImageColumnName));
            RequireName(TextColumnName, nameof(TextColumnName));
            RequireName(TargetImageColumnName, nameof(TargetImageColumnName));
            if (!Enum.IsDefined(ImageEncoder)) throw new ArgumentOutOfRangeException(nameof(ImageEncoder), ImageEncoder, "Unknown image encoder.");
            if (!Enum.IsDefined(TextEncoder)) throw new ArgumentOutOfRangeException(nameof(TextEncoder), TextEncoder, "Unknown text encoder.");
            Positive(EmbeddingDimension, nameof(EmbeddingDimension));
            Positive(Epochs, nameof(Epochs));
            if (!ModelSettingLimits.IsValidInferenceBatchSize(InferenceBatchSize))
                throw new ArgumentOutOfRangeException(nameof(InferenceBatchSize), InferenceBatchSize, ModelSettingLimits.InferenceBatchSizeRule);
            if (!ModelSettingLimits.IsValidTextLength(MaxTextLength))
                throw new ArgumentOutOfRangeException(nameof(MaxTextLength), MaxTextLength, ModelSettingLimits.TextLengthRule);
            if (BatchSize < 2) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "InfoNCE needs a batch of at least 2 triplets.");
            if (TripletsPerEpoch is { } sample && sample < BatchSize)
                throw new ArgumentOutOfRangeException(nameof(TripletsPerEpoch), sample, $"Must be at least one batch ({BatchSize}).");
            if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "Must be positive.");
            if (SmallImageEncoderInputSize < 32 || SmallImageEncoderInputSize % 8 != 0)
                throw new ArgumentOutOfRangeException(nameof(SmallImageEncoderInputSize), SmallImageEncoderInputSize, "Must be a multiple of 8, at least 32.");
            if (!(TextDropout >= 0 && TextDropout < 1)) throw new ArgumentOutOfRangeException(nameof(TextDropout), TextDropout, "Must be in [0, 1).");
            if (WarmupEpochs < 0) throw new ArgumentOutOfRangeException(nameof(WarmupEpochs), WarmupEpochs, "Must not be negative.");
            if (!Enum.IsDefined(Loss)) throw new ArgumentOutOfRangeException(nameof(Loss), Loss, "Unknown loss variant.");
            if (CheckpointFolder is not null && string.IsNullOrWhiteSpace(CheckpointFolder))
                throw new ArgumentException($"{nameof(CheckpointFolder)} must name a folder (or be null).", nameof(CheckpointFolder));
            if (ValidationGallery is not null && ValidationSet is null)
                throw new ArgumentException($"{nameof(ValidationGallery)} is set but {nameof(ValidationSet)} is not.", nameof(ValidationGallery));
        }

        private static void RequireName(string name, string option)
        {
            if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException($"{option} must name a column.", option);
        }

        private static void Positive(int value, string option)
        {
            if (value < 1) throw new ArgumentOutOfRangeException(option, value, "Must be positive.");
        }
    }
}
