namespace MLNet.ComposedRetrieval.Retrieval;

/// <summary>
/// Scores blocks of a gallery index's stored rows (CPU memory, at the index's <see cref="GalleryPrecision"/>) against one
/// batch of queries, prepared once for that precision's kernel. Safe to use from several threads at once.
/// </summary>
internal abstract class BlockScorer
{
    private protected BlockScorer(int dimension) => Dimension = dimension;

    protected int Dimension { get; }

    /// <summary>
    /// A scorer of <paramref name="queryCount"/> float32 queries [queryCount, dimension] against the rows at
    /// <paramref name="rows"/> (packed [N, dimension]) and, for <see cref="GalleryPrecision.Int8"/>, their scales at
    /// <paramref name="rowScales"/>. The memory must stay allocated while the scorer is used.
    /// </summary>
    public static BlockScorer Create(GalleryPrecision precision, IntPtr rows, IntPtr rowScales, int dimension, float[] queries, int queryCount) =>
        precision switch
        {
            GalleryPrecision.Single => new SingleRows(rows, dimension, queries, queryCount),
            GalleryPrecision.Half => new HalfRows(rows, dimension, HalfBlockDotProducts.PrepareQueries(queries, queryCount, dimension)),
            GalleryPrecision.Int8 => new Int8Rows(rows, rowScales, dimension, Int8Quantization.QuantizeQueries(queries, queryCount, dimension)),
            _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "Unknown gallery precision."),
        };

    /// <summary>scores[q · <paramref name="stride"/> + r] = the score of row <paramref name="firstRow"/> + r against query q, r &lt; <paramref name="rowCount"/>.</summary>
    public abstract void Score(long firstRow, int rowCount, Span<float> scores, int stride);

    private sealed class SingleRows(IntPtr rows, int dimension, float[] queries, int queryCount) : BlockScorer(dimension)
    {
        public override unsafe void Score(long firstRow, int rowCount, Span<float> scores, int stride) =>
            BlockDotProducts.Compute(new ReadOnlySpan<float>((float*)rows + firstRow * Dimension, rowCount * Dimension), rowCount,
                queries, queryCount, Dimension, scores, stride);
    }

    private sealed class HalfRows(IntPtr rows, int dimension, HalfBlockDotProducts.ScaledQueries queries) : BlockScorer(dimension)
    {
        public override unsafe void Score(long firstRow, int rowCount, Span<float> scores, int stride) =>
            HalfBlockDotProducts.Compute(new ReadOnlySpan<Half>((Half*)rows + firstRow * Dimension, rowCount * Dimension), rowCount,
                queries, scores, stride);
    }

    private sealed class Int8Rows(IntPtr rows, IntPtr rowScales, int dimension, Int8Quantization.Queries queries) : BlockScorer(dimension)
    {
        public override unsafe void Score(long firstRow, int rowCount, Span<float> scores, int stride) =>
            Int8BlockDotProducts.Compute(new ReadOnlySpan<sbyte>((sbyte*)rows + firstRow * Dimension, rowCount * Dimension),
                new ReadOnlySpan<float>((float*)rowScales + firstRow, rowCount), rowCount, queries, scores, stride);
    }
}
