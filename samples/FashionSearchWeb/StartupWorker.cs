namespace FashionSearchWeb;

/// <summary>
/// Brings the service up in the background while the page and <c>/health</c> already answer: finds the model (the
/// <c>--model</c> file, else the newest under <c>runs/*/models/</c>, else trains a small one), then embeds and indexes
/// the gallery.
/// </summary>
internal sealed class StartupWorker(SearchService service, WebOptions options, ILogger<StartupWorker> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Run(() => Start(stoppingToken), stoppingToken);

    private void Start(CancellationToken cancellationToken)
    {
        var status = service.Status;
        try
        {
            var modelPath = options.Model ?? NewestSavedModel(options.RunsFolder);
            if (options.Model is not null && !File.Exists(options.Model))
                throw new FileNotFoundException($"Model file '{options.Model}' (--model) does not exist.", options.Model);
            if (modelPath is null)
            {
                logger.LogWarning("No model given (--model) or found under {Runs}/*/models/: training a small one ({Triplets} triplets, {Epochs} epochs, frozen encoders).",
                    options.RunsFolder, options.TrainTriplets, options.TrainEpochs);
                modelPath = SmallModelTrainer.Train(options, status);
                logger.LogInformation("Trained and saved {Model}.", modelPath);
            }
            var backend = SearchBackend.Open(modelPath, options, status, cancellationToken);
            service.SetReady(backend);
            var message = $"model {modelPath}; gallery {backend.Gallery.Ids.Count} images from {options.Gallery}";
            status.Ready(message);
            logger.LogInformation("Ready: {Message}.", message);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            status.Failed(e.Message);
            logger.LogError(e, "Startup failed: {Message}", e.Message);
        }
    }

    /// <summary>The most recently written model file under <c>{runs}/*/models/</c>, or null.</summary>
    internal static string? NewestSavedModel(string runsFolder)
    {
        if (!Directory.Exists(runsFolder)) return null;
        return Directory.EnumerateDirectories(runsFolder)
            .Select(run => Path.Combine(run, "models"))
            .Where(Directory.Exists)
            .SelectMany(models => Directory.EnumerateFiles(models, "*.mlcr"))
            .Select(file => new FileInfo(file))
            .OrderByDescending(file => file.LastWriteTimeUtc)
            .FirstOrDefault()?.FullName;
    }
}
