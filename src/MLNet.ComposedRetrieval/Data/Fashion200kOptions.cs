namespace MLNet.ComposedRetrieval.Data;

/// <summary>Image location and training-pair sampling for <see cref="Fashion200kReader.Load"/>.</summary>
internal sealed record Fashion200kOptions
{
    /// <summary>The folder the label files' image paths are relative to; null for the dataset root.</summary>
    public string? ImageRoot { get; init; }

    /// <summary>Sampling attempts per modifiable training image (the paper's code uses 5); attempts that repeat an
    /// image pair or pair captions with the same words are skipped, as there.</summary>
    public int ModificationsPerImage { get; init; } = 5;

    /// <summary>Seed of the training-pair sampling: the same seed and files give the same triplets in the same order.</summary>
    public int Seed { get; init; }
}
