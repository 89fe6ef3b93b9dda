using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Retrieval;

/// <summary>
/// Recall@K (docs/method.md "Evaluation"): the percentage of queries with at least one of their target images among
/// the top K of their ranking. The one implementation behind training validation, experiments and the ML.NET evaluator.
/// </summary>
internal static class RecallAtK
{
    /// <summary>Searches <paramref name="index"/> with each query, its reference image excluded, and scores the rankings.</summary>
    /// <param name="index">The gallery.</param>
    /// <param name="queries">Query embeddings [Q, D].</param>
    /// <param name="referenceIds">Null, or per query the id removed from its own ranking (null entries remove nothing).
    /// A target that is only the reference can therefore never be found.</param>
    /// <param name="targetIds">Per query, the ids of its correct images (at least one).</param>
    /// <param name="ks">The K values.</param>
    public static RecallAtKResult Compute(GalleryIndex index, Tensor queries, IReadOnlyList<string?>? referenceIds,
        IReadOnlyList<IReadOnlyCollection<string>> targetIds, IReadOnlyList<int> ks)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(queries);
        var sortedKs = ValidKs(ks);
        if (queries.dim() < 1 || queries.shape[0] == 0) throw new ArgumentException("There are no queries to score.", nameof(queries));
        var rankings = index.Search(queries, sortedKs[^1], referenceIds);
        return Compute(rankings, targetIds, sortedKs, index.Count, GalleryCoverage.Check(targetIds, index.Contains));
    }

    /// <summary>Scores given rankings (already without each query's reference image).</summary>
    /// <param name="rankings">Per query, its ranking, best first, holding at least the top max(K) images (or all but one,
    /// when the gallery is smaller).</param>
    /// <param name="targetIds">Per query, the ids of its correct images (at least one).</param>
    /// <param name="ks">The K values.</param>
    /// <param name="gallerySize">The number of gallery images ranked.</param>
    /// <param name="coverage">Which targets the gallery lacks (<see cref="GalleryCoverage.Check"/>), if known.</param>
    public static RecallAtKResult Compute(IReadOnlyList<GalleryRanking> rankings,
        IReadOnlyList<IReadOnlyCollection<string>> targetIds, IReadOnlyList<int> ks, int gallerySize, GalleryCoverage? coverage = null)
    {
        ArgumentNullException.ThrowIfNull(rankings);
        ArgumentNullException.ThrowIfNull(targetIds);
        var sortedKs = ValidKs(ks);
        if (rankings.Count == 0) throw new ArgumentException("There are no queries to score.", nameof(rankings));
        if (gallerySize <= 0) throw new ArgumentException($"The gallery is empty (size {gallerySize}).", nameof(gallerySize));
        if (targetIds.Count != rankings.Count)
            throw new ArgumentException($"There are {rankings.Count} rankings but {targetIds.Count} target id sets.", nameof(targetIds));

        // The least a complete ranking holds: max K, or the gallery minus an excluded reference.
        var minimumLength = Math.Min(sortedKs[^1], gallerySize - 1);
        var hits = new int[sortedKs.Length];
        for (var q = 0; q < rankings.Count; q++)
        {
            var ranking = rankings[q] ?? throw new ArgumentException($"The ranking of query {q} is null.", nameof(rankings));
            if (ranking.Count < minimumLength)
                throw new ArgumentException($"The ranking of query {q} holds {ranking.Count} images; Recall@{sortedKs[^1]} needs the top {minimumLength}.", nameof(rankings));
            var targets = targetIds[q];
            if (targets is null || targets.Count == 0) throw new ArgumentException($"Query {q} has no target id.", nameof(targetIds));

            var firstHit = FirstHitRank(ranking, targets);
            for (var i = 0; i < sortedKs.Length; i++)
                if (firstHit < sortedKs[i]) hits[i]++;
        }

        var recalls = hits.Select(h => 100.0 * h / rankings.Count).ToArray();
        return new RecallAtKResult(sortedKs, recalls, rankings.Count, gallerySize, coverage);
    }

    /// <summary>The 0-based rank of the first target in the ranking, or int.MaxValue if none is there.</summary>
    private static int FirstHitRank(GalleryRanking ranking, IReadOnlyCollection<string> targets)
    {
        var targetSet = targets as ISet<string> ?? new HashSet<string>(targets, StringComparer.Ordinal);
        for (var rank = 0; rank < ranking.Count; rank++)
            if (targetSet.Contains(ranking.Ids[rank])) return rank;
        return int.MaxValue;
    }

    private static int[] ValidKs(IReadOnlyList<int> ks)
    {
        if (ks is null || ks.Count == 0) throw new ArgumentException("No K values given for Recall@K.", nameof(ks));
        var sorted = ks.Order().ToArray();
        if (sorted[0] <= 0) throw new ArgumentException($"K must be > 0; found {sorted[0]}.", nameof(ks));
        for (var i = 1; i < sorted.Length; i++)
            if (sorted[i] == sorted[i - 1]) throw new ArgumentException($"K = {sorted[i]} is listed twice.", nameof(ks));
        return sorted;
    }
}
