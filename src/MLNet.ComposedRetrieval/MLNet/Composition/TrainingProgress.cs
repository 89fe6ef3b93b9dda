using MLNet.ComposedRetrieval.Training;

namespace MLNet.ComposedRetrieval;

/// <summary>Progress of <see cref="ComposeImageTextEstimator.Fit"/>: feature caching, then each training epoch.</summary>
/// <param name="Stage">What is running, e.g. "image features" or "epoch 3/8".</param>
/// <param name="Done">Units of the stage finished (images, texts or optimiser steps).</param>
/// <param name="Total">Units of the stage in all.</param>
/// <param name="Elapsed">Time since the stage started.</param>
/// <param name="Message">Optional extra text, such as the running loss.</param>
public sealed record TrainingProgress(string Stage, long Done, long Total, TimeSpan Elapsed, string? Message = null)
{
    internal static TrainingProgress From(WorkProgress work) => new(work.Stage, work.Done, work.Total, work.Elapsed, work.Message);

    /// <summary>A one-line description: stage, count, percentage, elapsed time and ETA.</summary>
    public override string ToString() => new WorkProgress(Stage, Done, Total, Elapsed, Message).ToString();
}
