using MLNet.ComposedRetrieval.Experiment;

ExperimentOptions options;
try
{
    options = ExperimentOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine("Run with --help for the options.");
    return 2;
}
if (options.Command == "help")
{
    Console.WriteLine(ExperimentOptions.HelpText);
    return 0;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); Console.Error.WriteLine("Stopping after the current step; checkpoints are kept."); };
try
{
    switch (options.Command)
    {
        case "run":
            var outcome = new ExperimentRunner(options, Console.Out).Run(cancel.Token);
            ExperimentReports.Write(options, outcome, Console.Out);
            break;
        case "evaluate":
            new ModelEvaluation(options, Console.Out).Run(cancel.Token);
            break;
        case "query":
            new GalleryQuery(options, Console.Out).Run(cancel.Token);
            break;
        default:
            Console.Error.WriteLine($"Unknown command '{options.Command}'.");
            return 2;
    }
    return 0;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine(options.Command == "run"
        ? $"Cancelled. Run again with --output {options.Output} to resume from the last checkpoints."
        : "Cancelled; gallery embeddings computed so far are cached.");
    return 130;
}
catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or InvalidDataException or MLNet.ComposedRetrieval.Data.MissingImagesException)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}
