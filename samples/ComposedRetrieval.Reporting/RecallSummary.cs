namespace MLNet.ComposedRetrieval.Reporting;

/// <summary>Recall@K of one method over its runs (seeds), in percent.</summary>
/// <param name="K">The cut-off.</param>
/// <param name="Mean">Mean over the runs.</param>
/// <param name="StandardDeviation">Sample standard deviation (n - 1 denominator); 0 for a single run.</param>
/// <param name="Min">The lowest run.</param>
/// <param name="Max">The highest run.</param>
public sealed record RecallSummary(int K, double Mean, double StandardDeviation, double Min, double Max)
{
    /// <summary>Max minus min over the runs: the seed spread a difference between methods should exceed.</summary>
    public double Spread => Max - Min;

    /// <summary>Summarises one K over <paramref name="values"/> (one per run; at least one).</summary>
    public static RecallSummary Of(int k, IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new ArgumentException($"No runs to summarise Recall@{k} over.", nameof(values));
        double mean = values.Average();
        double std = values.Count < 2 ? 0 : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        return new RecallSummary(k, mean, std, values.Min(), values.Max());
    }
}
