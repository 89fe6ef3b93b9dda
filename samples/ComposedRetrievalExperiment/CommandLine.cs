namespace MLNet.ComposedRetrieval.Experiment;

/// <summary>
/// The experiment's command line: parses the options, runs the command and turns every failure into one line on the
/// error stream and an exit code (0 done, 1 failed, 2 bad options, 130 cancelled), never an unhandled exception.
/// </summary>
internal static class CommandLine
{
    /// <summary>Set to 1 to print the stack trace of an unexpected error too.</summary>
    public const string StackTraceVariable = "MLNET_CR_STACK_TRACE";

    /// <summary>What a missing-image error tells a command-line user to do.</summary>
    public const string MissingImagesRemedy =
        "Add the files, fix --image-root, --gallery or --split, or pass --drop-missing-images to drop what needs them.";

    /// <summary>Runs <paramref name="args"/> and returns the exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        ExperimentOptions options;
        try
        {
            options = ExperimentOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            error.WriteLine(OneLine(e.Message) + " Run with --help for the options.");
            return 2;
        }
        if (options.Command == "help")
        {
            output.WriteLine(ExperimentOptions.HelpText);
            return 0;
        }

        try
        {
            switch (options.Command)
            {
                case "run":
                {
                    using var outcome = new ExperimentRunner(options, output).Run(cancellationToken);
                    ExperimentReports.Write(options, outcome, output);
                    break;
                }
                case "evaluate":
                    new ModelEvaluation(options, output).Run(cancellationToken);
                    break;
                case "query":
                    new GalleryQuery(options, output).Run(cancellationToken);
                    break;
                case "ablations":
                    AblationCommand.Run(options, output);
                    break;
                default:
                    error.WriteLine($"Unknown command '{options.Command}'. Run with --help for the commands.");
                    return 2;
            }
            return 0;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine(options.Command == "run"
                ? $"Cancelled. Run again with --output {options.Output} to resume from the last checkpoints."
                : "Cancelled; gallery embeddings computed so far are cached.");
            return 130;
        }
        catch (Exception e)
        {
            error.WriteLine(Describe(e));
            if (Environment.GetEnvironmentVariable(StackTraceVariable) == "1") error.WriteLine(e);
            return 1;
        }
    }

    /// <summary>One line for <paramref name="e"/>: the message of the errors users can fix (files, data, settings), the
    /// type and first line of anything else.</summary>
    internal static string Describe(Exception e) => e switch
    {
        IOException or InvalidDataException or FormatException or UnauthorizedAccessException or ArgumentException
            or InvalidOperationException or NotSupportedException => OneLine(e.Message),
        _ => $"Unexpected {e.GetType().Name}: {FirstLine(e.Message)} (set {StackTraceVariable}=1 for the stack trace)",
    };

    private static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static string FirstLine(string message) =>
        message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
}
