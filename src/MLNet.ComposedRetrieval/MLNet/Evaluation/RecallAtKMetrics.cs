using System.Globalization;
using MLNet.ComposedRetrieval.Retrieval;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// Recall@K of composed queries against a gallery (the paper's protocol: the reference image is removed from its own
/// ranking; a query is a hit at K when any of its target images is among the top K). Like ML.NET's other metrics,
/// recalls are fractions in [0, 1]; the paper reports them as percentages. Made by
/// <c>mlContext.Ranking.EvaluateRecallAtK</c>.
/// </summary>
public sealed class RecallAtKMetrics
{
    internal RecallAtKMetrics(RecallAtKResult result)
    {
        Ks = result.Ks;
        Recall = Array.AsReadOnly(result.Recalls.Select(r => r / 100.0).ToArray());
        QueryCount = result.QueryCount;
        GallerySize = result.GallerySize;
        QueriesWithoutGalleryTarget = result.Coverage.QueriesWithoutTarget;
        MissingTargetCount = result.Coverage.MissingTargets;
    }

    /// <summary>The K values, ascending.</summary>
    public IReadOnlyList<int> Ks { get; }

    /// <summary>Recall at each K of <see cref="Ks"/>: the fraction of queries with a target in their top K.</summary>
    public IReadOnlyList<double> Recall { get; }

    /// <summary>How many queries were scored.</summary>
    public int QueryCount { get; }

    /// <summary>How many images the gallery holds.</summary>
    public int GallerySize { get; }

    /// <summary>How many queries have no target image in the gallery. They can never be hits, so they lower every
    /// recall; <c>EvaluateRecallAtK</c> also logs a warning through the MLContext when this is not 0.</summary>
    public int QueriesWithoutGalleryTarget { get; }

    /// <summary>How many target image ids, over all queries, are not in the gallery.</summary>
    public int MissingTargetCount { get; }

    /// <summary>Recall@<paramref name="k"/>, a fraction in [0, 1].</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> was not evaluated.</exception>
    public double RecallAt(int k)
    {
        for (int i = 0; i < Ks.Count; i++)
            if (Ks[i] == k) return Recall[i];
        throw new ArgumentOutOfRangeException(nameof(k), k, $"Recall@{k} was not evaluated; evaluated K: {string.Join(", ", Ks)}.");
    }

    /// <summary>For example "R@1 12.30%, R@10 40.10%, R@50 70.00% (1958 queries, gallery of 4433)", with the count of
    /// queries without a target in the gallery when there are any.</summary>
    public override string ToString() =>
        string.Join(", ", Ks.Select((k, i) => string.Create(CultureInfo.InvariantCulture, $"R@{k} {100 * Recall[i]:F2}%"))) +
        string.Create(CultureInfo.InvariantCulture, $" ({QueryCount} queries, gallery of {GallerySize}") +
        (MissingTargetCount > 0
            ? string.Create(CultureInfo.InvariantCulture, $"; {QueriesWithoutGalleryTarget} without a target in the gallery, {MissingTargetCount} target ids missing)")
            : ")");
}
