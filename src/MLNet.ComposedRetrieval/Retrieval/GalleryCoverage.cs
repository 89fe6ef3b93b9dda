namespace MLNet.ComposedRetrieval.Retrieval;

/// <summary>
/// Which query targets the gallery lacks. A query none of whose targets is in the gallery can never be a hit, so it
/// lowers every Recall@K; this record says so instead of letting it pass silently.
/// </summary>
/// <param name="QueriesWithoutTarget">Queries none of whose targets is in the gallery (misses at every K).</param>
/// <param name="MissingTargets">Target ids, over all queries, that are not in the gallery.</param>
/// <param name="Example">One missing target and its query (0-based), for messages; null when none is missing.</param>
internal sealed record GalleryCoverage(int QueriesWithoutTarget, int MissingTargets, (int Query, string Target)? Example)
{
    /// <summary>Not checked (the gallery's ids were not at hand).</summary>
    public static GalleryCoverage Unknown { get; } = new(0, 0, null);

    /// <summary>Whether any target is missing from the gallery.</summary>
    public bool HasMissing => MissingTargets > 0;

    /// <summary>Checks each query's targets against <paramref name="inGallery"/>.</summary>
    public static GalleryCoverage Check(IReadOnlyList<IReadOnlyCollection<string>> targetIds, Func<string, bool> inGallery)
    {
        ArgumentNullException.ThrowIfNull(targetIds);
        ArgumentNullException.ThrowIfNull(inGallery);
        int queries = 0, targets = 0;
        (int, string)? example = null;
        for (int q = 0; q < targetIds.Count; q++)
        {
            int missing = 0;
            foreach (var target in targetIds[q] ?? [])
            {
                if (inGallery(target)) continue;
                missing++;
                example ??= (q, target);
            }
            targets += missing;
            if (missing > 0 && missing == targetIds[q].Count) queries++;
        }
        return new GalleryCoverage(queries, targets, example);
    }

    /// <summary>One sentence for logs and reports, e.g. "2 of 40 queries have no target in the gallery ...".</summary>
    public string Describe(int queryCount)
    {
        var example = Example is { } e ? FormattableString.Invariant($", e.g. '{e.Target}' of query {e.Query}") : "";
        return FormattableString.Invariant(
            $"{QueriesWithoutTarget} of {queryCount} queries have no target in the gallery and count as misses at every K ({MissingTargets} target id(s) missing from the gallery{example}); ") +
            "recall is lower than on a gallery holding every target.";
    }
}
