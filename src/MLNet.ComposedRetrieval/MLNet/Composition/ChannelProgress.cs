using Microsoft.ML.Runtime;
using MLNet.ComposedRetrieval.Training;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// Sends training and feature-extraction progress to an ML.NET channel, so it reaches <c>MLContext.Log</c>: an Info
/// message at every tenth of a stage and at its end, a Trace message for every other step.
/// </summary>
internal sealed class ChannelProgress(IChannel channel) : IProgress<WorkProgress>
{
    public void Report(WorkProgress value)
    {
        long tenth = Math.Max(1, value.Total / 10);
        if (value.Done >= value.Total || value.Done % tenth == 0) channel.Info(MessageSensitivity.None, value.ToString());
        else channel.Trace(MessageSensitivity.None, value.ToString());
    }
}
