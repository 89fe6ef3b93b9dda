namespace MLNet.ComposedRetrieval.Reporting;

/// <summary>One method aggregated over its runs (seeds).</summary>
/// <param name="Method">The method's name.</param>
/// <param name="RunCount">How many runs were aggregated.</param>
/// <param name="Seeds">Their seeds, in run order (untrained runs have none).</param>
/// <param name="Recall">One entry per K that every run of the method computed, ascending.</param>
/// <param name="BestEpochs">Each trained run's best epoch, from 0, in run order.</param>
/// <param name="MeanTrainTime">Mean training time of the trained runs; null when none was trained.</param>
public sealed record MethodSummary(
    string Method,
    int RunCount,
    IReadOnlyList<int> Seeds,
    IReadOnlyList<RecallSummary> Recall,
    IReadOnlyList<int> BestEpochs,
    TimeSpan? MeanTrainTime)
{
    /// <summary>The summary of Recall@<paramref name="k"/>, or null when not every run computed it.</summary>
    public RecallSummary? RecallAt(int k) => Recall.FirstOrDefault(r => r.K == k);

    /// <summary>One summary per method, in the order the methods first appear in <paramref name="runs"/>.</summary>
    public static IReadOnlyList<MethodSummary> Summarise(IEnumerable<MethodRun> runs) =>
        runs.GroupBy(r => r.Method).Select(Summarise).ToList();

    private static MethodSummary Summarise(IGrouping<string, MethodRun> runs)
    {
        var ks = runs.Select(r => (IEnumerable<int>)r.Recall.Keys).Aggregate((a, b) => a.Intersect(b)).Order();
        var recall = ks.Select(k => RecallSummary.Of(k, runs.Select(r => r.Recall[k]).ToList())).ToList();
        var trainTimes = runs.Where(r => r.TrainTime is not null).Select(r => r.TrainTime!.Value.Ticks).ToList();
        return new MethodSummary(
            runs.Key,
            runs.Count(),
            runs.Where(r => r.Seed is not null).Select(r => r.Seed!.Value).ToList(),
            recall,
            runs.Where(r => r.BestEpoch is not null).Select(r => r.BestEpoch!.Value).ToList(),
            trainTimes.Count == 0 ? null : TimeSpan.FromTicks((long)trainTimes.Average()));
    }
}
