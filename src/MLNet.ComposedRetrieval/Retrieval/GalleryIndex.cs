using System.Buffers;
using System.Runtime.InteropServices;
using TorchSharp;
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
/// Queries are scored in batches, and <see cref="RunningTopK"/> keeps each query's best K in one vectorised pass
/// over each block of scores, so memory stays small whatever N is. A batch of up to
/// <see cref="DefaultStreamingQueryLimit"/> queries on the CPU streams the gallery once through managed dot products
/// (time: reading the gallery from memory); a larger batch takes the gallery in cache-sized chunks, one libtorch
/// matmul each, written straight into a reused managed buffer (time: the matmul's FLOP rate). Scores are float32
/// dot products; the two paths sum in different orders, so near-equal scores may differ in their last bits
/// between them. benchmarks/README.md has the figures against this machine's limits.
/// </para>
/// </summary>
internal sealed class GalleryIndex : IDisposable
{
    /// <summary>
    /// Gallery bytes per matmul when the chunk size is automatic (2048 rows of 512 floats): the chunk stays in the
    /// cache while the matmul's blocks pass over it; larger chunks measured markedly slower on the CPU here.
    /// </summary>
    public const int GalleryChunkBytes = 4 << 20;

    /// <summary>Queries scored per matmul.</summary>
    public const int DefaultQueryBatchSize = 256;

    /// <summary>
    /// Up to this many queries (on the CPU) a search streams the gallery once through managed dot products instead
    /// of a matmul: libtorch's matrix-vector and small matrix products read memory well below the bandwidth a plain
    /// vectorised loop reaches, and a few dot products per row cost less than fetching the row (benchmarks/README.md).
    /// </summary>
    public const int DefaultStreamingQueryLimit = 16;

    /// <summary>Gallery rows the streaming path scores before offering them: their scores stay in the L1 cache.</summary>
    private const int StreamBlockRows = 512;

    /// <summary>The fewest gallery rows worth a thread of their own in the streaming path.</summary>
    private const int StreamRowsPerThread = 1 << 14;

    /// <summary>Floats per 64-byte cache line.</summary>
    private const int CacheLineFloats = 16;

    /// <summary>Rows checked per pass when validating the gallery, so the check needs no N x D mask.</summary>
    private const int FiniteCheckRows = 1 << 16;

    private readonly Tensor _embeddings;
    /// <summary>Where the CPU copy's floats start (zero on other devices), for the streaming path.</summary>
    private readonly IntPtr _embeddingData;
    private readonly string[] _ids;
    private readonly Dictionary<string, int> _positions;
    private readonly int? _galleryChunkSize;
    private readonly int _queryBatchSize;
    private bool _disposed;

    /// <summary>Indexes a copy of <paramref name="embeddings"/>, kept on their device.</summary>
    /// <param name="ids">One unique, non-null id per gallery row.</param>
    /// <param name="embeddings">Finite gallery embeddings [N, D], N &gt; 0, converted to float32.</param>
    /// <param name="galleryChunkSize">Gallery rows per matmul (&gt; 0); null for about <see cref="GalleryChunkBytes"/>.</param>
    /// <param name="queryBatchSize">Queries per matmul (&gt; 0).</param>
    public GalleryIndex(IReadOnlyList<string> ids, Tensor embeddings,
        int? galleryChunkSize = null, int queryBatchSize = DefaultQueryBatchSize)
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
        if (_embeddings.device.type == DeviceType.CPU)
        {
            // The copy is contiguous and never resized, so its data stays where it is for the index's lifetime.
            using var storage = _embeddings.storage<float>();
            _embeddingData = storage.data_ptr() + (nint)(_embeddings.storage_offset() * sizeof(float));
        }
    }

    /// <summary>Indexes embeddings given as rows of equal length.</summary>
    public static GalleryIndex FromRows(IReadOnlyList<string> ids, IReadOnlyList<float[]> rows,
        int? galleryChunkSize = null, int queryBatchSize = DefaultQueryBatchSize)
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

    /// <summary>Batches of at most this many queries stream the gallery instead of a matmul (CPU only; 0 never).</summary>
    internal int StreamingQueryLimit { get; init; } = DefaultStreamingQueryLimit;

    /// <summary>Threads of the streaming path; 0 for as many as libtorch uses (<c>torch.get_num_threads()</c>).</summary>
    internal int StreamingThreads { get; init; }

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
        // The streaming path reads the gallery's memory directly: never after it is freed.
        ObjectDisposedException.ThrowIf(_disposed, this);
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

        var rankings = new List<GalleryRanking>(queryCount);
        using var inference = inference_mode();
        for (var start = 0; start < queryCount; start += _queryBatchSize)
        {
            using var scope = NewDisposeScope();
            var rows = Math.Min(_queryBatchSize, queryCount - start);
            var batch = queries.narrow(0, start, rows).to(ScalarType.Float32, _embeddings.device);
            RequireFinite(batch, "Query embeddings");
            var best = new RunningTopK(excluded[start..(start + rows)], Math.Min(k, Count));
            SelectBest(batch, best);
            for (var q = 0; q < rows; q++) rankings.Add(ToRanking(best.Drain(q)));
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
    public void Dispose()
    {
        _disposed = true;
        _embeddings.Dispose();
    }

    /// <summary>Offers every gallery image's scores against <paramref name="queries"/> [rows, D] to <paramref name="best"/>.</summary>
    private void SelectBest(Tensor queries, RunningTopK best)
    {
        if (_embeddingData != IntPtr.Zero && best.QueryCount <= StreamingQueryLimit) SelectBestByStreaming(queries, best);
        else SelectBestByMatmul(queries, best);
    }

    /// <summary>
    /// Few queries: one pass over the gallery, each row's dot products computed while it is in cache, on as many
    /// threads as libtorch uses (each thread a contiguous slice with its own selection, merged in gallery order).
    /// </summary>
    private void SelectBestByStreaming(Tensor queries, RunningTopK best)
    {
        var queryValues = queries.contiguous().data<float>().ToArray();
        var threads = StreamingThreads > 0 ? StreamingThreads : get_num_threads();
        var slices = Math.Clamp(Count / StreamRowsPerThread, 1, Math.Max(1, threads));
        if (slices == 1)
        {
            StreamSlice(queryValues, 0, Count, best);
            return;
        }
        var parts = new RunningTopK[slices];
        parts[0] = best;
        for (var i = 1; i < slices; i++) parts[i] = best.EmptyCopy();
        Parallel.For(0, slices, i => StreamSlice(queryValues, (int)((long)Count * i / slices), (int)((long)Count * (i + 1) / slices), parts[i]));
        for (var i = 1; i < slices; i++) best.Append(parts[i]);
    }

    private unsafe void StreamSlice(float[] queries, int start, int end, RunningTopK best)
    {
        var dimension = Dimension;
        var rows = best.QueryCount;
        var scores = ArrayPool<float>.Shared.Rent(rows * StreamBlockRows);
        try
        {
            for (var block = start; block < end; block += StreamBlockRows)
            {
                var length = Math.Min(StreamBlockRows, end - block);
                var gallery = new ReadOnlySpan<float>((float*)_embeddingData + (long)block * dimension, length * dimension);
                BlockDotProducts.Compute(gallery, length, queries, rows, dimension, scores, StreamBlockRows);
                best.Offer(scores, StreamBlockRows, length, block);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scores);
        }
    }

    /// <summary>Many queries: chunk by chunk, one libtorch matmul each, written straight into the buffer the selection reads.</summary>
    private void SelectBestByMatmul(Tensor queries, RunningTopK best)
    {
        var rows = best.QueryCount;
        var chunkSize = Math.Min(Count, _galleryChunkSize ?? Math.Max(CacheLineFloats, GalleryChunkBytes / (Dimension * sizeof(float))));
        // A chosen chunk size may not make a buffer larger than an array can be.
        chunkSize = Math.Min(chunkSize, (Array.MaxLength - 2 * CacheLineFloats) / rows / CacheLineFloats * CacheLineFloats);
        // Each row of scores starts on a cache line: the matmul writes unaligned rows markedly slower.
        var rowStride = (chunkSize + CacheLineFloats - 1) / CacheLineFloats * CacheLineFloats;
        var buffer = ArrayPool<float>.Shared.Rent(rows * rowStride + CacheLineFloats);
        try
        {
            using var scope = NewDisposeScope();
            // The matmul writes into the managed buffer the selection reads (frombuffer shares its memory and pins
            // it until disposed, which this scope does before the buffer goes back to the pool): no copy and no
            // allocation per chunk. beta = 0 ignores the buffer's old contents.
            var pinned = frombuffer(buffer, ScalarType.Float32);
            var offset = AlignedOffset(buffer);
            var scores = pinned.narrow(0, offset, (long)rows * rowStride).view(rows, rowStride);
            var onCpu = _embeddings.device.type == DeviceType.CPU;
            for (var start = 0; start < Count; start += chunkSize)
            {
                using var chunkScope = NewDisposeScope();
                var length = Math.Min(chunkSize, Count - start);
                var target = scores.narrow(1, 0, length);
                var chunk = _embeddings.narrow(0, start, length).t();
                if (onCpu) target.addmm_(queries, chunk, beta: 0, alpha: 1);
                else target.copy_(queries.mm(chunk));
                best.Offer(buffer.AsSpan(offset), rowStride, length, start);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <summary>The first index of a pinned float array whose address is a multiple of the cache line.</summary>
    private static int AlignedOffset(float[] pinned)
    {
        var address = Marshal.UnsafeAddrOfPinnedArrayElement(pinned, 0).ToInt64();
        var misalignment = (int)(address % (CacheLineFloats * sizeof(float)));
        return misalignment == 0 ? 0 : (CacheLineFloats * sizeof(float) - misalignment) / sizeof(float);
    }

    private GalleryRanking ToRanking((int[] Positions, float[] Scores) best)
    {
        var ids = new string[best.Positions.Length];
        for (var i = 0; i < ids.Length; i++) ids[i] = _ids[best.Positions[i]];
        return new GalleryRanking(Array.AsReadOnly(ids), Array.AsReadOnly(best.Scores));
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
        for (long start = 0; start < embeddings.shape[0]; start += FiniteCheckRows)
        {
            using var scope = NewDisposeScope();
            var rows = embeddings.narrow(0, start, Math.Min(FiniteCheckRows, embeddings.shape[0] - start));
            if (!rows.isfinite().all().item<bool>())
                throw new ArgumentException($"{what} contain NaN or infinite values.");
        }
    }
}
