
namespace MLNet.ComposedRetrieval.Reporting;

/// <summary>One query of a <see cref="QueryGrid"/>: the query (reference, text, targets) and each method's ranked gallery ids.</summary>
/// <param name="Query">The query; its <see cref="GridQuery.TargetImageIds"/> are the correct answers.</param>
/// <param name="RankedIds">Per method name, gallery ids best first (at least the top K shown; more lets the grid say where the first correct one is).</param>
public sealed record QueryGridRow(GridQuery Query, IReadOnlyDictionary<string, IReadOnlyList<string>> RankedIds)
{
    /// <summary>A row from each method's <see cref="GalleryRanking"/> of this query.</summary>
    public static QueryGridRow FromRankings(GridQuery query, IReadOnlyDictionary<string, GalleryRanking> rankings) =>
        new(query, rankings.ToDictionary(p => p.Key, p => p.Value.Ids));

    /// <summary>
    /// <paramref name="count"/> rows for queries drawn at random under <paramref name="seed"/> (not picked for
    /// looking good), in their order in <paramref name="queries"/>.
    /// </summary>
    /// <param name="queries">The evaluation queries.</param>
    /// <param name="rankings">Per method name, one ranking per query, aligned with <paramref name="queries"/>.</param>
    /// <param name="count">How many rows (all queries if fewer).</param>
    /// <param name="seed">Fixes the draw.</param>
    public static IReadOnlyList<QueryGridRow> Sample(IReadOnlyList<GridQuery> queries,
        IReadOnlyDictionary<string, IReadOnlyList<GalleryRanking>> rankings, int count, int seed)
    {
        foreach (var (method, ranked) in rankings)
            if (ranked.Count != queries.Count)
                throw new ArgumentException($"Method '{method}' has {ranked.Count} rankings for {queries.Count} queries.", nameof(rankings));
        var chosen = Enumerable.Range(0, queries.Count).ToArray();
        new Random(seed).Shuffle(chosen);
        return chosen.Take(Math.Min(count, queries.Count)).Order()
            .Select(i => FromRankings(queries[i], rankings.ToDictionary(p => p.Key, p => p.Value[i])))
            .ToList();
    }
}
