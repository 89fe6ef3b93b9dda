namespace MLNet.ComposedRetrieval;

/// <summary>
/// The figures of one <see cref="ComposeImageTextEstimator.Fit"/> (<see cref="ComposeImageTextTransformer.Training"/>):
/// which epoch was kept and, with <see cref="ComposeImageTextEstimator.Options.ValidationSet"/>, the kept weights'
/// validation recall and the reference-image-alone line it is measured against.
/// </summary>
public sealed class TrainingOutcome
{
    internal TrainingOutcome(int bestEpoch, RecallAtKMetrics? validation, RecallAtKMetrics? referenceOnlyValidation)
    {
        BestEpoch = bestEpoch;
        Validation = validation;
        ReferenceOnlyValidation = referenceOnlyValidation;
    }

    /// <summary>The kept epoch, counted from 0 (the best validation Recall@10, else the last epoch).</summary>
    public int BestEpoch { get; }

    /// <summary>Validation Recall@1/10/50 of the kept weights; null without a validation set.</summary>
    public RecallAtKMetrics? Validation { get; }

    /// <summary>Validation Recall@1/10/50 of the reference image's pooled pretrained image feature alone, the text
    /// ignored (the zero-shot line: what the text adds is measured against it); null without a validation set.</summary>
    public RecallAtKMetrics? ReferenceOnlyValidation { get; }
}
