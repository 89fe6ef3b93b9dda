using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Modeling;
using MLNet.ComposedRetrieval.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// One <see cref="ComposeImageTextEstimator.Fit"/>: reads the triplets (and validation data), builds the encoders and
/// the network, prepares the inputs (cached features for frozen encoders, live pixels and tokens for trained ones), runs
/// <see cref="ComposedRetrievalTrainer"/> and wraps the result as a transformer.
/// </summary>
internal sealed class CompositionTrainingRun
{
    /// <summary>Items per encoder call while filling a feature cache.</summary>
    private const int FeatureBatchSize = 64;

    private readonly ComponentEnvironment _environment;
    private readonly ComposeImageTextEstimator.Options _options;
    private readonly IHost _host;

    public CompositionTrainingRun(ComponentEnvironment environment, ComposeImageTextEstimator.Options options)
    {
        _environment = environment;
        _options = options;
        _host = environment.Register(ComposeImageTextEstimator.ComponentName);
    }

    public ComposeImageTextTransformer Run(IDataView input)
    {
        using var channel = _host.Start("Fit");
        var o = _options;
        var device = TorchDevice.Select(_environment, channel);
        int seed = o.Seed ?? _host.Rand.Next();

        var images = new TrainingImageStore();
        var triplets = ReadTriplets(input, images, "training");
        if (triplets.Count == 0) throw new ArgumentException("The training data has no rows.", nameof(input));
        var validation = o.ValidationSet is null ? null : ReadValidation(images);
        images.ThrowIfMissing();
        channel.Info(MessageSensitivity.None,
            $"{triplets.Count} training triplets over {images.Ids.Count} images" +
            (validation is null ? "" : $"; validation: {validation.Queries.Count} queries") + $"; device {device}, seed {seed}.");

        manual_seed(seed);
        var description = new ModelDescription
        {
            ImageEncoder = o.ImageEncoder, TextEncoder = o.TextEncoder, Layer4StrideOne = o.Layer4StrideOne,
            SmallImageInputSize = o.SmallImageEncoderInputSize, MaxTextLength = o.MaxTextLength,
            EmbeddingDimension = o.EmbeddingDimension, TextDropout = o.TextDropout, EqualizedStyleLinears = o.EqualizedStyleLinears,
            ImageEncoderFineTuned = o.ImageEncoderTrained, TextEncoderFineTuned = o.TextEncoderTrained,
        };
        (var backbone, description) = EncoderFactory.CreateForTraining(description);
        (var textEncoder, description) = EncoderFactory.CreateForTraining(description, triplets.Select(t => t.ModificationText));
        var network = new ComposedRetrievalNetwork(backbone, textEncoder, description.NetworkOptions);
        if (!o.ImageEncoderTrained) backbone.Freeze();
        if (!o.TextEncoderTrained) textEncoder.Freeze();
        network.to(device);

        string? temporaryCache = null;
        try
        {
            var cacheRoot = o.FeatureCacheFolder ?? (temporaryCache = Directory.CreateTempSubdirectory("mlnet-cr-features-").FullName);
            var inputs = CreateInputs(network, description, images, triplets, validation, cacheRoot, seed, device, channel);
            var trainer = new ComposedRetrievalTrainer(network, TrainerOptions(seed), device)
            {
                Progress = new ChannelProgress(channel),
                Log = message => channel.Info(MessageSensitivity.None, message),
                Validation = validation,
            };
            var result = trainer.Fit(triplets, inputs);
            channel.Info(MessageSensitivity.None, $"Kept the weights of epoch {result.BestEpoch + 1} of {result.History.Count}.");
            var model = new ComposedRetrievalModel(network, description, device);
            return new ComposeImageTextTransformer(_environment, model, Settings(), result.History);
        }
        catch
        {
            network.Dispose();
            throw;
        }
        finally
        {
            if (temporaryCache is not null)
            {
                try { Directory.Delete(temporaryCache, recursive: true); }
                catch (IOException) { }
            }
        }
    }

    private List<CompositionTriplet> ReadTriplets(IDataView data, TrainingImageStore images, string what)
    {
        var o = _options;
        var reference = ColumnBinding.BindImage(data.Schema, o.ReferenceImageColumnName, $"{what} reference image", o.ImageFolder);
        var text = ColumnBinding.BindText(data.Schema, o.TextColumnName, $"{what} modification text");
        var target = ColumnBinding.BindImage(data.Schema, o.TargetImageColumnName, $"{what} target image", o.ImageFolder);
        var triplets = new List<CompositionTriplet>();
        using var cursor = data.GetRowCursor([reference.Column, text, target.Column]);
        var references = reference.CreateReader(cursor);
        var texts = new TextColumnReader(cursor, text);
        var targets = target.CreateReader(cursor);
        while (cursor.MoveNext())
            triplets.Add(new CompositionTriplet(images.Add(references), texts.Read(), images.Add(targets)));
        return triplets;
    }

    private RetrievalEvaluator ReadValidation(TrainingImageStore images)
    {
        var o = _options;
        var rows = ReadTriplets(o.ValidationSet!, images, "validation");
        if (rows.Count == 0) throw new ArgumentException("The validation set has no rows.", nameof(o.ValidationSet));
        List<string> gallery;
        if (o.ValidationGallery is { } galleryView)
        {
            var column = ColumnBinding.BindImage(galleryView.Schema, o.ValidationGalleryImageColumnName, "validation gallery image", o.ImageFolder);
            gallery = [];
            using var cursor = galleryView.GetRowCursor([column.Column]);
            var reader = column.CreateReader(cursor);
            while (cursor.MoveNext()) gallery.Add(images.Add(reader));
            gallery = gallery.Distinct(StringComparer.Ordinal).ToList();
        }
        else
        {
            gallery = rows.SelectMany(t => new[] { t.ReferenceImageId, t.TargetImageId }).Distinct(StringComparer.Ordinal).ToList();
        }
        var queries = rows.Select(t => new CompositionQuery(t.ReferenceImageId, t.ModificationText, t.TargetImageId)).ToList();
        return new RetrievalEvaluator(gallery, queries, ks: [1, 10, 50], batchSize: FeatureBatchSize);
    }

    /// <summary>Cached features for frozen encoders (filled now, once per image and text), live pixels/tokens otherwise.</summary>
    private ICompositionInputs CreateInputs(ComposedRetrievalNetwork network, ModelDescription description, TrainingImageStore images,
        List<CompositionTriplet> triplets, RetrievalEvaluator? validation, string cacheRoot, int seed, Device device, IChannel channel)
    {
        var o = _options;
        var backbone = network.ImageBackbone!;
        var textEncoder = network.TextEncoder!;
        var preprocessing = backbone.Preprocessing;
        var augmentation = o.ImageEncoderTrained && o.AugmentImages
            ? new TrainingImageAugmentation(seed, preprocessing.Width, preprocessing.Height)
            : null;
        var live = new PixelCompositionInputs(images.Get, preprocessing, textEncoder.Tokenizer, o.MaxTextLength, augmentation);
        if (o.ImageEncoderTrained && o.TextEncoderTrained) return live;

        var progress = new ChannelProgress(channel);
        FeatureCache? imageCache = null, textCache = null;
        if (!o.ImageEncoderTrained)
        {
            imageCache = FrozenEncoderFeatures.CacheImageMaps(backbone, images.Ids, images.Get, cacheRoot, device, FrozenEncoderFeatures.DefaultImageBatchSize, progress,
                log: message => channel.Info(MessageSensitivity.None, message));
        }
        if (!o.TextEncoderTrained)
        {
            var texts = triplets.Select(t => t.ModificationText).Concat(validation?.Queries.Select(q => q.ModificationText) ?? []);
            textCache = FrozenEncoderFeatures.CacheTextFeatures(textEncoder, texts, cacheRoot, o.MaxTextLength, device, FeatureBatchSize, progress,
                log: message => channel.Info(MessageSensitivity.None, message));
        }
        return new CachedCompositionInputs(imageCache, textCache, live);
    }

    private TrainerOptions TrainerOptions(int seed) => new()
    {
        Epochs = _options.Epochs,
        BatchSize = _options.BatchSize,
        TripletsPerEpoch = _options.TripletsPerEpoch,
        LearningRate = _options.LearningRate,
        Momentum = _options.Momentum,
        WeightDecay = _options.WeightDecay,
        WarmupEpochs = _options.WarmupEpochs,
        DecayEpochs = _options.LearningRateDecayEpochs,
        TextEncoderLearningRateMultiplier = _options.TextEncoderLearningRateMultiplier,
        ImageBackboneLearningRateMultiplier = _options.ImageEncoderLearningRateMultiplier,
        Loss = new LossOptions { UseUncertainty = _options.UseUncertainty, Gamma0 = _options.Gamma0, W1 = _options.W1, W2 = _options.W2 },
        Seed = seed,
    };

    private TransformerSettings Settings() => new()
    {
        OutputColumnName = _options.OutputColumnName,
        ReferenceImageColumnName = _options.ReferenceImageColumnName,
        TextColumnName = _options.TextColumnName,
        ImageFolder = _options.ImageFolder,
        BatchSize = _options.InferenceBatchSize,
    };
}
