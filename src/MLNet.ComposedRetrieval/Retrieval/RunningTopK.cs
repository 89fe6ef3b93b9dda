using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MLNet.ComposedRetrieval.Retrieval;

/// <summary>
/// Per query, the best K gallery positions seen so far, fed score rows chunk by chunk in gallery order: the
/// selection half of exact search, done in managed code so that a chunk costs one vectorised pass over its scores
/// instead of a libtorch topk, sort and merge.
/// <para>
/// Ties go to the earlier gallery position. Because positions arrive in increasing order, a new score enters a full
/// selection only when it is strictly above the worst kept score, so no tie can push out an earlier image.
/// </para>
/// </summary>
/// <remarks>
/// Each query keeps a binary min-heap whose root is its worst entry (lowest score; among equal scores, the latest
/// position). Once a query's heap is full, a chunk costs one compare of 8 scores at a time against that root; only
/// scores above it are looked at one by one, which for a random order of N items happens about
/// K·(1 + ln(N / K)) times per query in all.
/// </remarks>
internal sealed class RunningTopK
{
    private readonly int _capacity;
    private readonly int[] _excluded;
    private readonly int[] _counts;
    private readonly float[] _scores;
    private readonly int[] _positions;

    /// <param name="excludedPositions">Per query, the gallery position it must not return (its reference image), or -1.</param>
    /// <param name="capacity">K, the most entries kept per query (&gt; 0).</param>
    public RunningTopK(int[] excludedPositions, int capacity)
    {
        ArgumentNullException.ThrowIfNull(excludedPositions);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _capacity = capacity;
        _excluded = excludedPositions;
        _counts = new int[excludedPositions.Length];
        _scores = new float[(long)excludedPositions.Length * capacity];
        _positions = new int[_scores.Length];
    }

    /// <summary>The number of queries.</summary>
    public int QueryCount => _counts.Length;

    /// <summary>
    /// Offers the scores of gallery positions <paramref name="firstPosition"/> .. + <paramref name="length"/> − 1:
    /// query q's scores are the <paramref name="length"/> values of <paramref name="scores"/> from q · <paramref name="rowStride"/>.
    /// Chunks must come in gallery order.
    /// </summary>
    /// <remarks>
    /// One thread: the pass costs a few percent of the matmul that produced the scores, and worker threads would
    /// compete for the cores with libtorch's own (which spin for a while after each operation).
    /// </remarks>
    public void Offer(ReadOnlySpan<float> scores, int rowStride, int length, int firstPosition)
    {
        if (length > rowStride || (long)rowStride * (QueryCount - 1) + length > scores.Length)
            throw new ArgumentException($"{QueryCount} rows of {length} scores, {rowStride} apart, do not fit in {scores.Length} values.", nameof(scores));
        for (var query = 0; query < QueryCount; query++)
            OfferRow(query, scores.Slice(query * rowStride, length), firstPosition);
    }

    /// <summary>An empty selection for the same queries, exclusions and K (for another slice of the gallery).</summary>
    public RunningTopK EmptyCopy() => new(_excluded, _capacity);

    /// <summary>
    /// Adds the entries of <paramref name="later"/>, which saw only gallery positions after every position this one
    /// saw (the next slice of the gallery). Empties <paramref name="later"/>.
    /// </summary>
    public void Append(RunningTopK later)
    {
        ArgumentNullException.ThrowIfNull(later);
        if (later.QueryCount != QueryCount || later._capacity != _capacity)
            throw new ArgumentException("The selections differ in queries or K.", nameof(later));
        for (var query = 0; query < QueryCount; query++)
        {
            var (positions, scores) = later.Drain(query);
            // In gallery order, so that "strictly above the worst" still settles ties for the earlier image.
            Array.Sort(positions, scores);
            for (var i = 0; i < positions.Length; i++) Insert(query, scores[i], positions[i]);
        }
    }

    /// <summary>Query <paramref name="query"/>'s entries, best first (score descending, then position ascending).
    /// Empties that query's selection.</summary>
    public (int[] Positions, float[] Scores) Drain(int query)
    {
        var heapScores = HeapScores(query);
        var heapPositions = HeapPositions(query);
        var count = _counts[query];
        var positions = new int[count];
        var scores = new float[count];
        // Popping the worst entry each time fills the result from its end.
        for (var i = count - 1; i >= 0; i--)
        {
            (positions[i], scores[i]) = (heapPositions[0], heapScores[0]);
            var last = --_counts[query];
            heapScores[0] = heapScores[last];
            heapPositions[0] = heapPositions[last];
            SiftDown(heapScores[..last], heapPositions[..last], 0);
        }
        return (positions, scores);
    }

    // Full optimisation from the first call: a single search may be this method's only call, too few for tiering.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void OfferRow(int query, ReadOnlySpan<float> row, int firstPosition)
    {
        var worst = HeapScores(query); // worst[0], the heap's root, is the bar to beat
        var excluded = _excluded[query] - firstPosition; // as an index into this row
        var i = 0;

        // Until the heap is full every entry gets in, whatever its score.
        for (; i < row.Length && _counts[query] < _capacity; i++)
            if (i != excluded) Insert(query, row[i], firstPosition + i);
        if (_counts[query] < _capacity) return;

        if (Vector256.IsHardwareAccelerated)
        {
            ref var start = ref MemoryMarshal.GetReference(row);
            var bar = Vector256.Create(worst[0]);
            for (; i <= row.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var above = Vector256.GreaterThan(Vector256.LoadUnsafe(ref start, (nuint)i), bar).ExtractMostSignificantBits();
                if (above == 0) continue;
                for (; above != 0; above &= above - 1)
                {
                    // Earlier candidates of these eight may have raised the bar: Insert compares again.
                    var j = i + BitOperations.TrailingZeroCount(above);
                    if (j != excluded) Insert(query, row[j], firstPosition + j);
                }
                bar = Vector256.Create(worst[0]);
            }
        }
        for (; i < row.Length; i++)
            if (row[i] > worst[0] && i != excluded) Insert(query, row[i], firstPosition + i);
    }

    /// <summary>Adds an entry at a position after all others: pushed while the heap has room, else in place of the
    /// worst entry if strictly better.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Insert(int query, float score, int position)
    {
        var scores = HeapScores(query);
        var positions = HeapPositions(query);
        ref var count = ref _counts[query];
        if (count < _capacity)
        {
            scores[count] = score;
            positions[count] = position;
            SiftUp(scores, positions, count++);
        }
        else if (score > scores[0])
        {
            scores[0] = score;
            positions[0] = position;
            SiftDown(scores, positions, 0);
        }
    }

    private Span<float> HeapScores(int query) => _scores.AsSpan(query * _capacity, _capacity);

    private Span<int> HeapPositions(int query) => _positions.AsSpan(query * _capacity, _capacity);

    /// <summary>True if entry a ranks below entry b: a lower score, or the same score at a later position.</summary>
    private static bool Worse(float scoreA, int positionA, float scoreB, int positionB) =>
        scoreA < scoreB || (scoreA == scoreB && positionA > positionB);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SiftUp(Span<float> scores, Span<int> positions, int node)
    {
        while (node > 0)
        {
            var parent = (node - 1) / 2;
            if (!Worse(scores[node], positions[node], scores[parent], positions[parent])) return;
            Swap(scores, positions, node, parent);
            node = parent;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SiftDown(Span<float> scores, Span<int> positions, int node)
    {
        while (true)
        {
            var worst = node;
            var left = 2 * node + 1;
            var right = left + 1;
            if (left < scores.Length && Worse(scores[left], positions[left], scores[worst], positions[worst])) worst = left;
            if (right < scores.Length && Worse(scores[right], positions[right], scores[worst], positions[worst])) worst = right;
            if (worst == node) return;
            Swap(scores, positions, node, worst);
            node = worst;
        }
    }

    private static void Swap(Span<float> scores, Span<int> positions, int a, int b)
    {
        (scores[a], scores[b]) = (scores[b], scores[a]);
        (positions[a], positions[b]) = (positions[b], positions[a]);
    }
}
