using Microsoft.ML.Runtime;
using MLNet.ComposedRetrieval.Training;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// Sends training and feature-extraction progress to an ML.NET channel, so it reaches <c>MLContext.Log</c>: an Info
/// message each time a stage passes another tenth of its work (and at its end), a Trace message for every other report.
/// Every report also goes to <paramref name="forward"/>, the caller's progress, when given.
/// </summary>
internal sealed class ChannelProgress(IChannel channel, IProgress<TrainingProgress>? forward = null) : IProgress<WorkProgress>
{
    private string? _stage;
    private long _lastTenth;

    public void Report(WorkProgress value)
    {
        forward?.Report(TrainingProgress.From(value));
        if (value.Stage != _stage) (_stage, _lastTenth) = (value.Stage, 0);
        long tenth = value.Total > 0 ? value.Done * 10 / value.Total : 10;
        if (tenth > _lastTenth)
        {
            _lastTenth = tenth;
            channel.Info(MessageSensitivity.None, value.ToString());
        }
        else
        {
            channel.Trace(MessageSensitivity.None, value.ToString());
        }
    }
}
