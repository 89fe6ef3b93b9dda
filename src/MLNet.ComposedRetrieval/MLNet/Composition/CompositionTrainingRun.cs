using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Modeling;
using MLNet.ComposedRetrieval.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// One <see cref="ComposeImageTextEstimator.Fit"/>: reads the triplets (and validation data) from the data views, trains
/// through the one <see cref="TrainingSession"/> and assembles the result as a transformer.
/// </summary>
internal sealed class CompositionTrainingRun
{
    /// <summary>Separates the acceptable targets of a validation query in a String target column.</summary>
    private const char TargetSeparator = ';';

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

        var description = o.ToModelDescription();
        var trainingDescription = description;
        void Log(string message) => channel.Info(MessageSensitivity.None, message);
        using var session = new TrainingSession(new TrainingSessionSetup
        {
            Triplets = triplets,
            ImageIds = images.Ids,
            LoadImage = images.Get,
            CreateEncoders = () =>
            {
                (var backbone, trainingDescription) = EncoderFactory.CreateForTraining(description);
                (var text, trainingDescription) = EncoderFactory.CreateForTraining(trainingDescription, triplets.Select(t => t.ModificationText));
                return (backbone, text);
            },
            NetworkOptions = description.NetworkOptions,
            TrainImageEncoder = o.ImageEncoderTrained,
            TrainTextEncoder = o.TextEncoderTrained,
            AugmentationSeed = o.AugmentImages ? seed : null,
            MaxTextLength = o.MaxTextLength,
            FeatureCacheFolder = o.FeatureCacheFolder,
            Validation = validation,
            Device = device,
            Progress = new ChannelProgress(channel, o.Progress),
            Log = Log,
        });
        // The encoders are built (and frozen features cached) before Train seeds the run, so the network's initialisation
        // draws the same numbers whatever the encoders drew; seeding here too keeps randomly initialised encoders repeatable.
        manual_seed(seed);
        session.PrepareInputs(o.CancellationToken);
        var referenceOnly = validation is null ? null : session.ZeroShotRecall(o.CancellationToken);
        var checkpoint = o.CheckpointFolder is null ? null : new TrainingCheckpoint(o.CheckpointFolder);
        var trained = session.Train(o.ToTrainerOptions(seed), checkpoint, o.CancellationToken);
        using (trained.Network)
        {
            Log($"Kept the weights of epoch {trained.Result.BestEpoch + 1} of {trained.Result.History.Count}.");
            var outcome = new TrainingOutcome(trained.Result.BestEpoch,
                trained.Validation is { } recall ? new RecallAtKMetrics(recall) : null,
                referenceOnly is null ? null : new RecallAtKMetrics(referenceOnly));
            return InferenceModelAssembly.Assemble(_environment, trained.Network, trained.ImageBackbone, trained.TextEncoder,
                trainingDescription, trained.Result.History, device, Settings(), outcome);
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

    /// <summary>The validation queries (a String target column may list several targets, ';'-separated) and gallery.</summary>
    private RetrievalEvaluator ReadValidation(TrainingImageStore images)
    {
        var o = _options;
        var data = o.ValidationSet!;
        var reference = ColumnBinding.BindImage(data.Schema, o.ReferenceImageColumnName, "validation reference image", o.ImageFolder);
        var text = ColumnBinding.BindText(data.Schema, o.TextColumnName, "validation modification text");
        var target = ColumnBinding.BindImage(data.Schema, o.TargetImageColumnName, "validation target image", o.ImageFolder);
        var queries = new List<CompositionQuery>();
        using (var cursor = data.GetRowCursor([reference.Column, text, target.Column]))
        {
            var references = reference.CreateReader(cursor);
            var texts = new TextColumnReader(cursor, text);
            var targets = target.CreateReader(cursor);
            while (cursor.MoveNext())
                queries.Add(new CompositionQuery(images.Add(references), texts.Read(), images.AddAll(targets, TargetSeparator)));
        }
        if (queries.Count == 0) throw new ArgumentException("The validation set has no rows.", nameof(o.ValidationSet));
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
            gallery = queries.SelectMany(q => q.TargetImageIds.Prepend(q.ReferenceImageId)).Distinct(StringComparer.Ordinal).ToList();
        }
        return new RetrievalEvaluator(gallery, queries, TrainingDefaults.Ks);
    }

    private TransformerSettings Settings() => new()
    {
        OutputColumnName = _options.OutputColumnName,
        ReferenceImageColumnName = _options.ReferenceImageColumnName,
        TextColumnName = _options.TextColumnName,
        ImageFolder = _options.ImageFolder,
        BatchSize = _options.InferenceBatchSize,
    };
}
