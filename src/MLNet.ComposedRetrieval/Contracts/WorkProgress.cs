namespace MLNet.ComposedRetrieval;

/// <summary>Progress of a long piece of work (feature extraction, a training epoch), for a progress bar.</summary>
/// <param name="Stage">What is running, e.g. "image features" or "epoch 3/8".</param>
/// <param name="Done">Units finished.</param>
/// <param name="Total">Units in all.</param>
/// <param name="Elapsed">Time since the stage started.</param>
/// <param name="Message">Optional extra text (a running loss, say).</param>
public sealed record WorkProgress(string Stage, long Done, long Total, TimeSpan Elapsed, string? Message = null)
{
    /// <summary>Time left at the pace so far, once any unit is done.</summary>
    public TimeSpan? Remaining => Done <= 0 || Done >= Total ? null : Elapsed * ((double)(Total - Done) / Done);

    /// <summary>A one-line description: stage, count, percentage, elapsed and ETA.</summary>
    public override string ToString()
    {
        var percent = Total > 0 ? 100.0 * Done / Total : 100.0;
        var eta = Remaining is { } left ? $", ETA {Format(left)}" : "";
        var extra = Message is null ? "" : $" - {Message}";
        return $"{Stage}: {Done}/{Total} ({percent:F0}%), {Format(Elapsed)} elapsed{eta}{extra}";
    }

    private static string Format(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss") : t.ToString(@"m\:ss");
}
