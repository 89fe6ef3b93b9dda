using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Modeling;
using MLNet.ComposedRetrieval.Retrieval;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Training;

/// <summary>
/// The one training path, shared by the ML.NET estimator and the main job: prepares the inputs once (cached features
/// for frozen encoders, live pixels and tokens for trained ones; docs/architecture.md), then trains any number of
/// networks on them with <see cref="ComposedRetrievalTrainer"/> (validation picks the epoch, optional checkpoints).
/// </summary>
/// <remarks>
/// Random state: <see cref="Train"/> seeds TorchSharp with the run's seed, then builds what the run trains. Encoders
/// the session has not built yet are built after the seed; the estimator calls <see cref="PrepareInputs"/> first (under
/// the same seed), so the network's initialisation does not depend on what building the encoders drew. When
/// <see cref="PrepareInputs"/> ran first, frozen encoders are shared by every run and each run that fine-tunes gets
/// fresh pretrained copies.
/// </remarks>
internal sealed class TrainingSession : IDisposable
{
    private readonly TrainingSessionSetup _setup;
    private readonly string _cacheRoot;
    private readonly string? _temporaryCache;
    private (ImageBackbone Backbone, TextEncoder Text)? _encoders;
    private bool _sharedImageHandedOut, _sharedTextHandedOut;
    private ICompositionInputs? _inputs;

    public TrainingSession(TrainingSessionSetup setup)
    {
        ArgumentNullException.ThrowIfNull(setup);
        if (setup.Triplets.Count == 0) throw new ArgumentException("There are no training triplets.", nameof(setup));
        _setup = setup;
        _cacheRoot = setup.FeatureCacheFolder ?? (_temporaryCache = Directory.CreateTempSubdirectory("mlnet-cr-features-").FullName);
    }

    /// <summary>Validation queries and gallery, when given.</summary>
    public RetrievalEvaluator? Validation => _setup.Validation;

    /// <summary>The image backbone's cached maps (after <see cref="PrepareInputs"/>), null when the backbone is trained.</summary>
    public FeatureCache? ImageMaps { get; private set; }

    /// <summary>The text encoder's cached sentence features (after <see cref="PrepareInputs"/>), null when it is trained.</summary>
    public FeatureCache? TextFeatures { get; private set; }

    /// <summary>Builds the shared encoders if needed and fills the feature caches of frozen ones; idempotent.</summary>
    public ICompositionInputs PrepareInputs(CancellationToken cancellationToken = default)
    {
        if (_inputs is not null) return _inputs;
        var (backbone, text) = _encoders ??= CreateEncoders();
        var s = _setup;
        var augmentation = s.TrainImageEncoder && s.AugmentationSeed is { } augmentationSeed
            ? new TrainingImageAugmentation(augmentationSeed, backbone.Preprocessing.Width, backbone.Preprocessing.Height)
            : null;
        var live = new PixelCompositionInputs(s.LoadImage, backbone.Preprocessing, text.Tokenizer, s.MaxTextLength, augmentation);
        if (s.TrainImageEncoder && s.TrainTextEncoder) return _inputs = live;

        if (!s.TrainImageEncoder) ImageMaps = CacheImageMaps(backbone, cancellationToken);
        if (!s.TrainTextEncoder)
        {
            var texts = s.Triplets.Select(t => t.ModificationText).Concat(s.Validation?.Queries.Select(q => q.ModificationText) ?? []);
            TextFeatures = FrozenEncoderFeatures.CacheTextFeatures(text, texts, _cacheRoot, s.MaxTextLength, s.Device,
                TrainingDefaults.FeatureBatchSize, s.Progress, s.Log, cancellationToken);
        }
        return _inputs = new CachedCompositionInputs(ImageMaps, TextFeatures, live);
    }

    /// <summary>
    /// Recall@K of the reference image's pooled backbone feature alone (no text): the line what the text adds is measured
    /// against. Needs validation; call it before training when the backbone is fine-tuned.
    /// </summary>
    public RecallAtKResult ZeroShotRecall(CancellationToken cancellationToken = default)
    {
        var validation = _setup.Validation ?? throw new InvalidOperationException("The zero-shot recall needs validation queries.");
        PrepareInputs(cancellationToken);
        // A fine-tuned backbone trains copies: the shared one still holds the pretrained weights.
        return validation.EvaluatePooledReferences(ImageMaps ?? CacheImageMaps(_encoders!.Value.Backbone, cancellationToken));
    }

    private FeatureCache CacheImageMaps(ImageBackbone backbone, CancellationToken cancellationToken) =>
        FrozenEncoderFeatures.CacheImageMaps(backbone, _setup.ImageIds, _setup.LoadImage, _cacheRoot, _setup.Device,
            FrozenEncoderFeatures.DefaultImageBatchSize, _setup.Progress, _setup.Log, cancellationToken);

    /// <summary>
    /// Trains one network with <paramref name="options"/> (its seed seeds the run) and leaves it holding the kept
    /// epoch's weights. The caller owns the returned network.
    /// </summary>
    public TrainedComposition Train(TrainerOptions options, TrainingCheckpoint? checkpoint = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var s = _setup;
        manual_seed(options.Seed);
        var (backbone, text) = EncodersForRun();
        var inputs = PrepareInputs(cancellationToken);
        var network = new ComposedRetrievalNetwork(backbone.OutputChannels, text.OutputDimension, s.NetworkOptions,
            s.TrainImageEncoder ? backbone : null, s.TrainTextEncoder ? text : null);
        try
        {
            var trainer = new ComposedRetrievalTrainer(network, options, s.Device)
            {
                Validation = s.Validation,
                Checkpoint = checkpoint,
                Progress = s.Progress,
                Log = s.Log,
            };
            var result = trainer.Fit(s.Triplets, inputs, cancellationToken);
            var recall = s.Validation?.Evaluate(network, inputs, s.Device);
            return new TrainedComposition(network, backbone, text, result, recall);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>The encoders of one run: the shared ones, built now on first use; fresh copies for every run that fine-tunes after the first.</summary>
    private (ImageBackbone Backbone, TextEncoder Text) EncodersForRun()
    {
        var s = _setup;
        if (_encoders is null)
        {
            _encoders = CreateEncoders();
        }
        else if (s.TrainImageEncoder || s.TrainTextEncoder)
        {
            // A fine-tuned encoder is trained in place: this run starts from fresh pretrained weights of its own.
            var (freshBackbone, freshText) = CreateEncoders();
            var shared = _encoders.Value;
            if (!s.TrainImageEncoder) freshBackbone.Dispose();
            if (!s.TrainTextEncoder) freshText.Dispose();
            return (s.TrainImageEncoder ? freshBackbone : shared.Backbone, s.TrainTextEncoder ? freshText : shared.Text);
        }
        _sharedImageHandedOut |= s.TrainImageEncoder;
        _sharedTextHandedOut |= s.TrainTextEncoder;
        return _encoders.Value;
    }

    private (ImageBackbone Backbone, TextEncoder Text) CreateEncoders()
    {
        var (backbone, text) = _setup.CreateEncoders();
        if (!_setup.TrainImageEncoder) backbone.Freeze();
        if (!_setup.TrainTextEncoder) text.Freeze();
        return (backbone, text);
    }

    /// <summary>Disposes the shared frozen encoders (a trained network owns its own) and deletes a temporary cache.</summary>
    public void Dispose()
    {
        if (_encoders is { } encoders)
        {
            if (!_sharedImageHandedOut) encoders.Backbone.Dispose();
            if (!_sharedTextHandedOut) encoders.Text.Dispose();
            _encoders = null;
        }
        if (_temporaryCache is not null)
        {
            try { Directory.Delete(_temporaryCache, recursive: true); }
            catch (IOException) { }
        }
    }
}

/// <summary>What a <see cref="TrainingSession"/> trains on and how.</summary>
internal sealed record TrainingSessionSetup
{
    /// <summary>The training triplets.</summary>
    public required IReadOnlyList<CompositionTriplet> Triplets { get; init; }

    /// <summary>Every image id the caches must hold (training, validation gallery and queries).</summary>
    public required IReadOnlyList<string> ImageIds { get; init; }

    /// <summary>Decodes an image id.</summary>
    public required Func<string, RgbImage> LoadImage { get; init; }

    /// <summary>Builds the encoders (pretrained weights where they have them); called once, plus once per fine-tuning run.</summary>
    public required Func<(ImageBackbone Backbone, TextEncoder Text)> CreateEncoders { get; init; }

    /// <summary>The upper part: embedding width, heads, text dropout, style linears.</summary>
    public required ComposedNetworkOptions NetworkOptions { get; init; }

    public bool TrainImageEncoder { get; init; }

    public bool TrainTextEncoder { get; init; }

    /// <summary>Seeds the training image augmentation of a trained image encoder; null for none.</summary>
    public int? AugmentationSeed { get; init; }

    public int MaxTextLength { get; init; } = TrainingDefaults.MaxTextLength;

    /// <summary>Where frozen encoders' features are cached; null for a temporary folder deleted with the session.</summary>
    public string? FeatureCacheFolder { get; init; }

    /// <summary>Validation after every epoch (the best epoch is kept); null to keep the last epoch.</summary>
    public RetrievalEvaluator? Validation { get; init; }

    public Device Device { get; init; } = CPU;

    public IProgress<WorkProgress>? Progress { get; init; }

    public Action<string>? Log { get; init; }
}

/// <summary>A trained network (holding the kept epoch's weights), the encoders its features came from, and its figures.</summary>
/// <param name="Network">The trained network; it holds the encoders that were trained, not the frozen ones.</param>
/// <param name="ImageBackbone">The backbone of the run (the network's when trained, the shared frozen one otherwise).</param>
/// <param name="TextEncoder">The text encoder of the run.</param>
/// <param name="Result">The epochs and the kept one.</param>
/// <param name="Validation">The kept weights' validation recall; null without validation.</param>
internal sealed record TrainedComposition(ComposedRetrievalNetwork Network, ImageBackbone ImageBackbone, TextEncoder TextEncoder,
    TrainingResult Result, RecallAtKResult? Validation);
