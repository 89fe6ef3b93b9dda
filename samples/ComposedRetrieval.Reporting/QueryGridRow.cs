
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
    /// The positions of <paramref name="count"/> queries drawn at random under <paramref name="seed"/> (not picked for
    /// looking good), in their order among the <paramref name="queryCount"/> queries. Drawn before anything is ranked,
    /// so only the drawn queries need to be.
    /// </summary>
    /// <param name="queryCount">How many queries there are.</param>
    /// <param name="count">How many to draw (all if fewer).</param>
    /// <param name="seed">Fixes the draw.</param>
    public static IReadOnlyList<int> Sample(int queryCount, int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(queryCount);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var chosen = Enumerable.Range(0, queryCount).ToArray();
        new Random(seed).Shuffle(chosen);
        return chosen.Take(Math.Min(count, queryCount)).Order().ToList();
    }
}
