using System.Text.RegularExpressions;
using MLNet.ComposedRetrieval;

namespace FashionSearchWeb;

/// <summary>Where the service is: starting (with the stage it is in and its progress), ready, or failed.</summary>
internal sealed partial class ServiceStatus : IProgress<WorkProgress>
{
    private readonly Lock _lock = new();
    private StatusSnapshot _snapshot = new("starting", "waiting to start", null, null, null, null);

    /// <summary>The state now.</summary>
    public StatusSnapshot Snapshot
    {
        get { lock (_lock) return _snapshot; }
    }

    /// <summary>A new stage without a count yet.</summary>
    public void Stage(string stage, string? message = null) => Set(new("starting", stage, null, null, null, message));

    /// <summary>Progress of the current stage (count and ETA).</summary>
    public void Report(WorkProgress progress) =>
        Set(new("starting", progress.Stage, progress.Done, progress.Total, progress.Remaining?.TotalSeconds, progress.Message));

    /// <summary>Progress as the library logs it to <c>MLContext.Log</c> (a <see cref="WorkProgress"/> line); other lines become the message.</summary>
    public void ReportLogLine(string line)
    {
        var match = ProgressLine().Match(line);
        if (!match.Success)
        {
            var current = Snapshot;
            Set(current with { Message = line });
            return;
        }
        double? eta = match.Groups["eta"].Success ? ParseTime(match.Groups["eta"].Value) : null;
        Set(new("starting", match.Groups["stage"].Value, long.Parse(match.Groups["done"].Value), long.Parse(match.Groups["total"].Value), eta,
            match.Groups["message"].Success ? match.Groups["message"].Value : null));
    }

    /// <summary>Ready to answer queries.</summary>
    public void Ready(string message) => Set(new("ready", "ready", null, null, null, message));

    /// <summary>Startup failed; the message says why and what to do.</summary>
    public void Failed(string message) => Set(new("failed", "failed", null, null, null, message));

    private void Set(StatusSnapshot snapshot)
    {
        lock (_lock)
        {
            if (_snapshot.Status != "starting") return; // ready and failed are final
            _snapshot = snapshot;
        }
    }

    private static double ParseTime(string text)
    {
        var parts = text.Split(':').Select(double.Parse).ToArray();
        return parts.Aggregate(0.0, (total, part) => total * 60 + part);
    }

    // The format of WorkProgress.ToString(): "stage: done/total (p%), m:ss elapsed, ETA m:ss - message".
    [GeneratedRegex(@"^(?<stage>.+?): (?<done>\d+)/(?<total>\d+) \(\d+%\), [\d:]+ elapsed(, ETA (?<eta>[\d:]+))?( - (?<message>.*))?$")]
    private static partial Regex ProgressLine();
}

/// <summary>The service state as <c>/health</c> returns it.</summary>
/// <param name="Status">starting, ready or failed.</param>
/// <param name="Stage">What is running (e.g. "gallery embeddings").</param>
/// <param name="Done">Units done in this stage, when counted.</param>
/// <param name="Total">Units in this stage, when counted.</param>
/// <param name="EtaSeconds">Estimated seconds left in this stage, once known.</param>
/// <param name="Message">More detail (what was loaded, why it failed).</param>
internal sealed record StatusSnapshot(string Status, string Stage, long? Done, long? Total, double? EtaSeconds, string? Message);
