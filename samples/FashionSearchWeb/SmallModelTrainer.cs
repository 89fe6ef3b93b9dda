using FashionProductSearch;
using Microsoft.ML;
using MLNet.ComposedRetrieval;

namespace FashionSearchWeb;

/// <summary>
/// Trains the small model the app uses when it finds none: the library's estimator with the pretrained ResNet-18 and
/// MiniLM encoders frozen (their features cached on disk, shared with the main job), on a seeded sample of the
/// benchmark's training triplets. Progress goes to the service status, so the page and <c>/health</c> show it.
/// </summary>
internal static class SmallModelTrainer
{
    /// <summary>Trains, saves the model under <c>runs/web-small-{time}/models/</c> and returns its path.</summary>
    /// <exception cref="FileNotFoundException">The benchmark's training triplets or images are absent.</exception>
    public static string Train(WebOptions options, ServiceStatus status)
    {
        var tripletFile = Path.Combine(options.Dataset, "triplets.train.tsv");
        var imageFolder = Path.Combine(options.Dataset, "images");
        if (!File.Exists(tripletFile) || !Directory.Exists(imageFolder))
            throw new FileNotFoundException(
                $"No model was given (--model FILE) or found under {options.RunsFolder}/*/models/, and the benchmark to train a small one " +
                $"is not at {options.Dataset} (needs triplets.train.tsv and images/). Pass --model, run the main job, or pass --dataset.", tripletFile);

        var ml = new MLContext(seed: 1);
        // The estimator reports feature extraction and epochs through MLContext.Log as WorkProgress lines.
        ml.Log += (_, e) =>
        {
            if (!e.Source.StartsWith("ComposeImageText", StringComparison.Ordinal) || e.Kind is not (Microsoft.ML.Runtime.ChannelMessageKind.Info or Microsoft.ML.Runtime.ChannelMessageKind.Trace)) return;
            status.ReportLogLine(e.RawMessage);
        };
        status.Stage("training a small model", $"no model found: training on {options.TrainTriplets} triplets of {tripletFile}, {options.TrainEpochs} epochs, frozen encoders");
        var all = ml.Data.LoadFromTextFile<TripletRow>(tripletFile, separatorChar: '\t', hasHeader: true);
        var triplets = ml.Data.TakeRows(ml.Data.ShuffleRows(all, seed: 1, shufflePoolSize: 200_000), options.TrainTriplets);
        var pipeline = ml.Transforms.LoadImages("ReferenceImage", imageFolder, "ReferencePath")
            .Append(ml.Transforms.LoadImages("TargetImage", imageFolder, "TargetPath"))
            .Append(ml.Transforms.ComposeImageText(new ComposeImageTextEstimator.Options
            {
                ReferenceImageColumnName = "ReferenceImage",
                TextColumnName = "ModificationText",
                TargetImageColumnName = "TargetImage",
                ImageEncoder = ImageEncoderArchitecture.ResNet18,
                TextEncoder = TextEncoderArchitecture.MiniLM,
                Epochs = options.TrainEpochs,
                Seed = 1,
                FeatureCacheFolder = options.CacheFolder,
            }));
        using var model = pipeline.Fit(triplets).LastTransformer;
        var path = Path.Combine(options.RunsFolder, $"web-small-{DateTime.UtcNow:yyyyMMdd-HHmmss}", "models", "uncertainty-small.mlcr");
        model.Save(path);
        return path;
    }
}
