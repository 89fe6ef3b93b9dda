
namespace MLNet.ComposedRetrieval.Reporting;

/// <summary>
/// One method scored once: a training run of one seed (with its epoch history) or an untrained reference
/// (zero-shot, or a saved model evaluated on its own).
/// </summary>
/// <param name="Method">The method's name, e.g. <see cref="MethodNames.Baseline"/>; runs with the same name are aggregated.</param>
/// <param name="Seed">The training seed; null for a run without randomness (zero-shot).</param>
/// <param name="Recall">Recall@K in percent, by K, of the model kept (the best epoch's).</param>
/// <param name="QueryCount">How many queries were scored.</param>
/// <param name="GallerySize">How many images the gallery held.</param>
public sealed record MethodRun(string Method, int? Seed, IReadOnlyDictionary<int, double> Recall, int QueryCount, int GallerySize)
{
    /// <summary>One record per training epoch, in order; empty for an untrained run.</summary>
    public IReadOnlyList<EpochRecord> History { get; init; } = [];

    /// <summary>The epoch (from 0, as in <see cref="EpochRecord.Epoch"/>) whose weights were kept; null when untrained.</summary>
    public int? BestEpoch { get; init; }

    /// <summary>Wall time of training, validation included; null when untrained.</summary>
    public TimeSpan? TrainTime { get; init; }

    /// <summary>Where the trained model was saved, if it was.</summary>
    public string? ModelPath { get; init; }

    /// <summary>A run scored by <c>mlContext.Ranking.EvaluateRecallAtK</c>; its fractions become percentages here.</summary>
    public static MethodRun FromMetrics(string method, int? seed, RecallAtKMetrics recall)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(method);
        ArgumentNullException.ThrowIfNull(recall);
        var byK = new SortedDictionary<int, double>();
        for (int i = 0; i < recall.Ks.Count; i++) byK[recall.Ks[i]] = 100 * recall.Recall[i];
        return new MethodRun(method, seed, byK, recall.QueryCount, recall.GallerySize);
    }

    /// <summary>Recall@<paramref name="k"/>, or null when this run did not compute it.</summary>
    public double? RecallAt(int k) => Recall.TryGetValue(k, out var value) ? value : null;
}
