namespace MLNet.ComposedRetrieval.Reporting;

/// <summary>
/// How a method compares with a reference method at one K (the target: the uncertainty model beats the
/// baseline by more than the seed spread). "Beats" means both methods ran at least <see cref="MinimumSeeds"/> seeds and
/// the difference of the means exceeds the larger of the two methods' seed spreads (max - min over seeds), so it cannot
/// come from seed luck alone at that spread. With one seed the spread is 0 and says nothing, so no claim is made.
/// </summary>
/// <param name="Method">The method compared.</param>
/// <param name="Reference">The method it is compared with.</param>
/// <param name="K">The cut-off.</param>
/// <param name="Difference">Mean Recall@K of <paramref name="Method"/> minus that of <paramref name="Reference"/>, in points.</param>
/// <param name="LargerSpread">The larger of the two methods' seed spreads at this K.</param>
/// <param name="FewerSeeds">The smaller of the two methods' run counts.</param>
public sealed record MethodComparison(string Method, string Reference, int K, double Difference, double LargerSpread, int FewerSeeds)
{
    /// <summary>The fewest seeds per method for a spread to mean anything.</summary>
    public const int MinimumSeeds = 2;

    /// <summary>Whether both methods have enough seeds (<see cref="MinimumSeeds"/>) for <see cref="Beats"/> to be decided.</summary>
    public bool EnoughSeeds => FewerSeeds >= MinimumSeeds;

    /// <summary>Both methods have enough seeds and the difference is positive and larger than both seed spreads.</summary>
    public bool Beats => EnoughSeeds && Difference > LargerSpread;

    /// <summary>Both methods have enough seeds and the difference, either way, is larger than both seed spreads.</summary>
    public bool DiffersBeyondSpread => EnoughSeeds && Math.Abs(Difference) > LargerSpread;

    /// <summary>One comparison per K that both methods have; empty when either method has no runs in the report.</summary>
    public static IReadOnlyList<MethodComparison> Compare(ExperimentReport report, string method, string reference, IReadOnlyList<int>? ks = null)
    {
        var summaries = report.Summaries;
        var a = summaries.FirstOrDefault(s => s.Method == method);
        var b = summaries.FirstOrDefault(s => s.Method == reference);
        if (a is null || b is null) return [];
        return (ks ?? a.Recall.Select(r => r.K).ToList())
            .Select(k => (k, ra: a.RecallAt(k), rb: b.RecallAt(k)))
            .Where(t => t.ra is not null && t.rb is not null)
            .Select(t => new MethodComparison(method, reference, t.k, t.ra!.Mean - t.rb!.Mean, Math.Max(t.ra.Spread, t.rb.Spread),
                Math.Min(a.RunCount, b.RunCount)))
            .ToList();
    }
}
