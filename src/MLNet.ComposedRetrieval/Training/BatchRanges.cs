namespace MLNet.ComposedRetrieval.Training;

/// <summary>The one batching helper: cuts <c>count</c> items into consecutive batches, the last one possibly short.</summary>
internal static class BatchRanges
{
    /// <summary>Ranges of at most <paramref name="batchSize"/> items that cover [0, <paramref name="count"/>) in order.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A batch size below 1 or a negative count.</exception>
    public static IEnumerable<Range> Of(int count, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        return Iterate();

        IEnumerable<Range> Iterate()
        {
            for (int start = 0; start < count; start += batchSize)
                yield return new Range(start, Math.Min(count, start + batchSize));
        }
    }
}
