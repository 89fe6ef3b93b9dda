
namespace MLNet.ComposedRetrieval.Experiment;

/// <summary>Prints progress at most every few seconds (and at the end of a stage), with an ETA.</summary>
internal sealed class ConsoleProgress(TextWriter output, TimeSpan? interval = null) : IProgress<WorkProgress>
{
    private readonly TimeSpan _interval = interval ?? TimeSpan.FromSeconds(10);
    private DateTime _last = DateTime.MinValue;
    private string? _stage;

    public void Report(WorkProgress value)
    {
        var now = DateTime.UtcNow;
        bool finished = value.Done >= value.Total;
        if (!finished && value.Stage == _stage && now - _last < _interval) return;
        _stage = value.Stage;
        _last = now;
        lock (output) output.WriteLine($"  {value}");
    }
}
