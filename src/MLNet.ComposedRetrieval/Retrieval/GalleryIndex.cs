using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Retrieval;

/// <summary>
/// Exact top-K search over a gallery of embeddings [N, D] (float32) with unique string ids (METHOD.md
/// "Evaluation"): score = dot product of query and gallery embedding, so embeddings should be L2-comparable
/// (normalised, or all of the same norm as the model's outputs). A query may name one gallery id to exclude,
/// the reference image being removed from its own ranking.
/// <para>
/// Ties are broken by gallery order: of two images with the same score, the one added first ranks first.
/// This holds across chunks and at the K-th place (an image is never dropped for a later one with the same score).
/// </para>
/// <para>
/// Queries are scored in batches against the gallery in chunks, keeping a running top-K per query, so memory
/// stays at (query batch x gallery chunk) scores whatever N is; each chunk is one matmul + topk, which is where
/// a faster version (half precision, GPU, several threads per chunk) would change things.
/// </para>
/// </summary>
internal sealed class GalleryIndex : IDisposable
{
    /// <summary>Gallery rows scored per matmul.</summary>
    public const int DefaultGalleryChunkSize = 16384;

    /// <summary>Queries scored per matmul.</summary>
    public const int DefaultQueryBatchSize = 256;

    private readonly Tensor _embeddings;
    private readonly string[] _ids;
    private readonly Dictionary<string, int> _positions;
    private readonly int _galleryChunkSize;
    private readonly int _queryBatchSize;

    /// <summary>Indexes a copy of <paramref name="embeddings"/>, kept on their device.</summary>
    /// <param name="ids">One unique, non-null id per gallery row.</param>
    /// <param name="embeddings">Finite gallery embeddings [N, D], N &gt; 0, converted to float32.</param>
    /// <param name="galleryChunkSize">Gallery rows per matmul (&gt; 0).</param>
    /// <param name="queryBatchSize">Queries per matmul (&gt; 0).</param>
    public GalleryIndex(IReadOnlyList<string> ids, Tensor embeddings,
        int galleryChunkSize = DefaultGalleryChunkSize, int queryBatchSize = DefaultQueryBatchSize)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(embeddings);
        if (embeddings.dim() != 2 || embeddings.shape[0] == 0 || embeddings.shape[1] == 0)
            throw new ArgumentException($"Gallery embeddings must be [N, D] with N > 0 and D > 0; found [{string.Join(", ", embeddings.shape)}].", nameof(embeddings));
        if (ids.Count != embeddings.shape[0])
            throw new ArgumentException($"The gallery has {embeddings.shape[0]} embeddings but {ids.Count} ids.", nameof(ids));
        if (galleryChunkSize <= 0) throw new ArgumentOutOfRangeException(nameof(galleryChunkSize), galleryChunkSize, "Must be > 0.");
        if (queryBatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(queryBatchSize), queryBatchSize, "Must be > 0.");

        _ids = ids.ToArray();
        _positions = new Dictionary<string, int>(_ids.Length, StringComparer.Ordinal);
        for (var i = 0; i < _ids.Length; i++)
        {
            if (_ids[i] is null) throw new ArgumentException($"Gallery id {i} is null.", nameof(ids));
            if (!_positions.TryAdd(_ids[i], i))
                throw new ArgumentException($"Gallery id '{_ids[i]}' appears twice (rows {_positions[_ids[i]]} and {i}).", nameof(ids));
        }

        _galleryChunkSize = galleryChunkSize;
        _queryBatchSize = queryBatchSize;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var copy = embeddings.detach().to(ScalarType.Float32, copy: true).contiguous();
        RequireFinite(copy, "Gallery embeddings");
        // The index owns its copy: it must outlive this scope and any scope of the caller.
        _embeddings = copy.DetachFromDisposeScope();
    }

    /// <summary>Indexes embeddings given as rows of equal length.</summary>
    public static GalleryIndex FromRows(IReadOnlyList<string> ids, IReadOnlyList<float[]> rows,
        int galleryChunkSize = DefaultGalleryChunkSize, int queryBatchSize = DefaultQueryBatchSize)
    {
        using var scope = NewDisposeScope();
        return new GalleryIndex(ids, Stack(rows, "gallery"), galleryChunkSize, queryBatchSize);
    }

    /// <summary>N, the number of gallery images.</summary>
    public int Count => _ids.Length;

    /// <summary>D, the embedding width.</summary>
    public int Dimension => (int)_embeddings.shape[1];

    /// <summary>The gallery ids, in gallery order.</summary>
    public IReadOnlyList<string> Ids => _ids;

    /// <summary>True if <paramref name="id"/> is in the gallery.</summary>
    public bool Contains(string id) => _positions.ContainsKey(id);

    /// <summary>
    /// The top <paramref name="k"/> gallery images for each query, best first; fewer when the gallery (minus the
    /// excluded image) is smaller than K.
    /// </summary>
    /// <param name="queries">Query embeddings [Q, D].</param>
    /// <param name="k">How many images to return per query (&gt; 0).</param>
    /// <param name="excludedIds">Null, or one id per query to leave out of its ranking (null entries, or ids not in
    /// the gallery, exclude nothing).</param>
    public IReadOnlyList<GalleryRanking> Search(Tensor queries, int k, IReadOnlyList<string?>? excludedIds = null)
    {
        ArgumentNullException.ThrowIfNull(queries);
        if (queries.dim() != 2 || queries.shape[1] != Dimension)
            throw new ArgumentException($"Queries must be [Q, {Dimension}]; found [{string.Join(", ", queries.shape)}].", nameof(queries));
        if (k <= 0) throw new ArgumentOutOfRangeException(nameof(k), k, "K must be > 0.");
        var queryCount = (int)queries.shape[0];
        if (excludedIds is not null && excludedIds.Count != queryCount)
            throw new ArgumentException($"There are {queryCount} queries but {excludedIds.Count} excluded ids.", nameof(excludedIds));

        var excluded = new int[queryCount];
        for (var q = 0; q < queryCount; q++)
            excluded[q] = excludedIds?[q] is { } id && _positions.TryGetValue(id, out var position) ? position : -1;
        // One extra candidate per query makes room for dropping its excluded image afterwards.
        var candidates = Math.Min(k + (excluded.Any(p => p >= 0) ? 1 : 0), Count);

        var rankings = new List<GalleryRanking>(queryCount);
        using var inference = inference_mode();
        for (var start = 0; start < queryCount; start += _queryBatchSize)
        {
            using var scope = NewDisposeScope();
            var batch = queries.narrow(0, start, Math.Min(_queryBatchSize, queryCount - start))
                .to(ScalarType.Float32, _embeddings.device);
            RequireFinite(batch, "Query embeddings");
            var (scores, positions) = TopCandidates(batch, candidates);
            var scoreArray = scores.cpu().data<float>().ToArray();
            var positionArray = positions.cpu().data<long>().ToArray();
            for (var row = 0; row < batch.shape[0]; row++)
                rankings.Add(ToRanking(scoreArray, positionArray, row * candidates, candidates, excluded[start + row], k));
        }
        return rankings;
    }

    /// <summary><see cref="Search(Tensor, int, IReadOnlyList{string?}?)"/> for queries given as rows.</summary>
    public IReadOnlyList<GalleryRanking> Search(IReadOnlyList<float[]> queries, int k, IReadOnlyList<string?>? excludedIds = null)
    {
        ArgumentNullException.ThrowIfNull(queries);
        using var scope = NewDisposeScope();
        return Search(queries.Count == 0 ? zeros(0, Dimension) : Stack(queries, "query"), k, excludedIds);
    }

    /// <inheritdoc />
    public void Dispose() => _embeddings.Dispose();

    /// <summary>The best <paramref name="count"/> (score, gallery position) pairs per query row, in ranking order.</summary>
    private (Tensor Scores, Tensor Positions) TopCandidates(Tensor queries, int count)
    {
        Tensor? bestScores = null, bestPositions = null;
        for (var start = 0; start < Count; start += _galleryChunkSize)
        {
            var length = Math.Min(_galleryChunkSize, Count - start);
            var scores = queries.matmul(_embeddings.narrow(0, start, length).t());
            var (chunkScores, chunkPositions) = RankedTop(scores, Math.Min(count, length));
            chunkPositions = chunkPositions + start;
            if (bestScores is null)
            {
                (bestScores, bestPositions) = (chunkScores, chunkPositions);
                continue;
            }
            // Earlier chunks hold lower positions and come first, so a stable sort keeps ties in gallery order.
            var mergedScores = cat([bestScores, chunkScores], 1);
            var mergedPositions = cat([bestPositions!, chunkPositions], 1);
            var (sorted, order) = mergedScores.sort(1, descending: true, stable: true);
            var keep = Math.Min(count, (int)sorted.shape[1]);
            (bestScores, bestPositions) = (sorted.narrow(1, 0, keep), mergedPositions.gather(1, order).narrow(1, 0, keep));
        }
        return (bestScores!, bestPositions!);
    }

    /// <summary>
    /// The top <paramref name="count"/> columns of each row of <paramref name="scores"/>, by score descending and then
    /// column ascending. topk alone picks arbitrarily among entries tied at the cut, so rows with such ties are redone.
    /// </summary>
    private static (Tensor Scores, Tensor Positions) RankedTop(Tensor scores, int count)
    {
        var (_, positions) = scores.topk(count, dim: 1, largest: true, sorted: true);
        var cut = scores.gather(1, positions.narrow(1, count - 1, 1));
        var tiedAtCut = (scores >= cut).sum(1).gt(count).nonzero().squeeze(1);
        if (tiedAtCut.shape[0] > 0)
        {
            var rows = scores.index_select(0, tiedAtCut);
            var rowCut = cut.index_select(0, tiedAtCut);
            var above = rows > rowCut;
            var atCut = rows == rowCut;
            // Take every entry above the cut, then the first entries at the cut until the row has count.
            var quota = count - above.sum(1, keepdim: true);
            var chosen = above.logical_or(atCut.logical_and(atCut.cumsum(1, ScalarType.Int64) <= quota));
            var redone = chosen.nonzero().select(1, 1).view(tiedAtCut.shape[0], count);
            positions = positions.index_copy(0, tiedAtCut, redone);
        }
        positions = positions.sort(1).Values;
        var (ranked, order) = scores.gather(1, positions).sort(1, descending: true, stable: true);
        return (ranked, positions.gather(1, order));
    }

    private GalleryRanking ToRanking(float[] scores, long[] positions, int offset, int candidates, int excluded, int k)
    {
        var ids = new List<string>(Math.Min(k, candidates));
        var kept = new List<float>(ids.Capacity);
        for (var c = 0; c < candidates && ids.Count < k; c++)
        {
            var position = (int)positions[offset + c];
            if (position == excluded) continue;
            ids.Add(_ids[position]);
            kept.Add(scores[offset + c]);
        }
        return new GalleryRanking(ids.AsReadOnly(), kept.AsReadOnly());
    }

    private static Tensor Stack(IReadOnlyList<float[]> rows, string what)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0) throw new ArgumentException($"No {what} embeddings given.", nameof(rows));
        var width = rows[0]?.Length ?? 0;
        var flat = new float[(long)rows.Count * width];
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i] is null || rows[i].Length != width)
                throw new ArgumentException($"The {what} embedding {i} has {rows[i]?.Length.ToString() ?? "no"} values; embedding 0 has {width}.", nameof(rows));
            rows[i].CopyTo(flat, (long)i * width);
        }
        return tensor(flat, [rows.Count, width]);
    }

    private static void RequireFinite(Tensor embeddings, string what)
    {
        if (!embeddings.isfinite().all().item<bool>())
            throw new ArgumentException($"{what} contain NaN or infinite values.");
    }
}
