using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Retrieval;

/// <summary>
/// Exact top-K search over a gallery of embeddings [N, D] with unique string ids (docs/method.md "Evaluation"): score = dot
/// product of query and gallery embedding, so embeddings should be L2-comparable (normalised, or all of the same norm
/// as the model's outputs). A query may name one gallery id to exclude, the reference image being removed from its
/// own ranking.
/// <para>
/// The embeddings are stored at a <see cref="GalleryPrecision"/>: float32 by default; half precision or 8-bit integers
/// with a scale per row take a half or about a quarter of the memory and of the time to stream them, and the search
/// is then exact for the stored values: scores (and so rankings) are those of the reduced-precision gallery, not of
/// the float32 embeddings it was built from.
/// </para>
/// <para>
/// Ties are broken by gallery order: of two images with the same score, the one added first ranks first.
/// This holds across chunks and at the K-th place (an image is never dropped for a later one with the same score).
/// </para>
/// <para>
/// Queries are scored in batches, and <see cref="RunningTopK"/> keeps each query's best K in one vectorised pass
/// over each block of scores, so memory stays small whatever N is. On the CPU the gallery is streamed once per
/// query batch through managed, register-blocked dot products (<see cref="BlockDotProducts"/>), block by block on
/// all threads: the time is that of reading the gallery from memory for a few queries, and the FLOP rate for many.
/// On other devices (or with <see cref="StreamingQueryLimit"/> lowered) the gallery is taken in cache-sized chunks,
/// one libtorch matmul each, written straight into a reused managed buffer. Scores are float32 dot products; the
/// two paths sum in different orders, so near-equal scores may differ in their last bits between them (and, for an
/// <see cref="GalleryPrecision.Int8"/> gallery, the matmul path sums the integer products in float32, not exactly).
/// benchmarks/README.md has the figures against this machine's limits.
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
    /// On the CPU, batches of up to this many queries (by default all) stream the gallery through managed dot products
    /// instead of libtorch matmuls. Measured here (benchmarks/README.md): libtorch's matrix-vector and small matrix
    /// products read memory well below the bandwidth a plain vectorised loop reaches; at 100 queries the managed
    /// kernel is within 10% of MKL on an idle machine, and twice as fast when another process competes for a core,
    /// because its work items are shared out dynamically while each libtorch call ends in an OpenMP barrier that
    /// waits for its slowest thread.
    /// </summary>
    public const int DefaultStreamingQueryLimit = int.MaxValue;

    /// <summary>
    /// Gallery bytes the streaming path scores as one block (126 rows of 512 floats, a multiple of the kernel's
    /// three rows): the block stays in L2 while every group of four queries passes over it.
    /// </summary>
    private const int StreamBlockBytes = 256 << 10;

    /// <summary>
    /// Multiply-adds per work item of the parallel streaming path (at most <see cref="StreamRowsPerSlice"/> rows):
    /// enough items for two threads even on a small gallery with many queries.
    /// </summary>
    private const long StreamWorkPerSlice = 1L << 25;

    /// <summary>
    /// Gallery rows per work item of the parallel streaming path. Many small items rather than one slice per thread:
    /// when another process takes a core for a while, the other threads take over its remaining items.
    /// </summary>
    private const int StreamRowsPerSlice = 1 << 14;

    /// <summary>Floats per 64-byte cache line.</summary>
    private const int CacheLineFloats = 16;

    /// <summary>Rows checked and converted per pass when storing the gallery, so neither needs an N x D temporary.</summary>
    private const int FiniteCheckRows = 1 << 16;

    /// <summary>The stored rows [N, D]: float32, float16 or int8 by <see cref="Precision"/>.</summary>
    private readonly Tensor _embeddings;
    /// <summary>Int8 only: each row's scale [N] (float32); null otherwise.</summary>
    private readonly Tensor? _rowScales;
    /// <summary>Where the CPU copy's values start (zero on other devices), for the streaming path.</summary>
    private readonly IntPtr _embeddingData;
    /// <summary>Where the CPU copy's row scales start (Int8 only).</summary>
    private readonly IntPtr _rowScaleData;
    private readonly string[] _ids;
    private readonly Dictionary<string, int> _positions;
    private readonly int? _galleryChunkSize;
    private readonly int _queryBatchSize;
    private bool _disposed;

    /// <summary>Indexes a copy of <paramref name="embeddings"/> at <paramref name="precision"/>, kept on their device.</summary>
    /// <param name="ids">One unique, non-null id per gallery row.</param>
    /// <param name="embeddings">Finite gallery embeddings [N, D], N &gt; 0, converted to float32, then to the precision.</param>
    /// <param name="galleryChunkSize">Gallery rows per matmul (&gt; 0); null for about <see cref="GalleryChunkBytes"/>.</param>
    /// <param name="queryBatchSize">Queries per matmul (&gt; 0).</param>
    /// <param name="precision">How the rows are stored (and so scored).</param>
    public GalleryIndex(IReadOnlyList<string> ids, Tensor embeddings,
        int? galleryChunkSize = null, int queryBatchSize = DefaultQueryBatchSize, GalleryPrecision precision = GalleryPrecision.Single)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(embeddings);
        if (embeddings.dim() != 2 || embeddings.shape[0] == 0 || embeddings.shape[1] == 0)
            throw new ArgumentException($"Gallery embeddings must be [N, D] with N > 0 and D > 0; found [{string.Join(", ", embeddings.shape)}].", nameof(embeddings));
        if (ids.Count != embeddings.shape[0])
            throw new ArgumentException($"The gallery has {embeddings.shape[0]} embeddings but {ids.Count} ids.", nameof(ids));
        if (galleryChunkSize <= 0) throw new ArgumentOutOfRangeException(nameof(galleryChunkSize), galleryChunkSize, "Must be > 0.");
        if (queryBatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(queryBatchSize), queryBatchSize, "Must be > 0.");
        if (!Enum.IsDefined(precision)) throw new ArgumentOutOfRangeException(nameof(precision), precision, "Unknown gallery precision.");
        if (precision == GalleryPrecision.Int8 && embeddings.shape[1] > Int8Quantization.MaxDimension)
            throw new ArgumentException($"An Int8 gallery takes embeddings of at most {Int8Quantization.MaxDimension} values; these have {embeddings.shape[1]}.", nameof(embeddings));

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
        Precision = precision;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (stored, scales) = Store(embeddings.detach(), precision);
        // The index owns its copy: it must outlive this scope and any scope of the caller.
        _embeddings = stored.DetachFromDisposeScope();
        _rowScales = scales?.DetachFromDisposeScope();
        if (_embeddings.device.type == DeviceType.CPU)
        {
            // The copies are contiguous and never resized, so their data stays where it is for the index's lifetime.
            _embeddingData = DataAddress(_embeddings);
            if (_rowScales is not null) _rowScaleData = DataAddress(_rowScales);
        }
    }

    /// <summary>Indexes embeddings given as rows of equal length.</summary>
    public static GalleryIndex FromRows(IReadOnlyList<string> ids, IReadOnlyList<float[]> rows,
        int? galleryChunkSize = null, int queryBatchSize = DefaultQueryBatchSize, GalleryPrecision precision = GalleryPrecision.Single)
    {
        using var scope = NewDisposeScope();
        return new GalleryIndex(ids, Stack(rows, "gallery"), galleryChunkSize, queryBatchSize, precision);
    }

    /// <summary>N, the number of gallery images.</summary>
    public int Count => _ids.Length;

    /// <summary>D, the embedding width.</summary>
    public int Dimension => (int)_embeddings.shape[1];

    /// <summary>The gallery ids, in gallery order.</summary>
    public IReadOnlyList<string> Ids => _ids;

    /// <summary>How the embeddings are stored and scored.</summary>
    public GalleryPrecision Precision { get; }

    /// <summary>The memory the stored rows (and row scales) take, in bytes.</summary>
    public long StoredBytes => _embeddings.NumberOfElements * _embeddings.ElementSize + (_rowScales?.NumberOfElements ?? 0) * sizeof(float);

    /// <summary>Batches of at most this many queries stream the gallery instead of matmuls (CPU only; 0: never).</summary>
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
        _rowScales?.Dispose();
    }

    /// <summary>Offers every gallery image's scores against <paramref name="queries"/> [rows, D] to <paramref name="best"/>.</summary>
    private void SelectBest(Tensor queries, RunningTopK best)
    {
        if (_embeddingData != IntPtr.Zero && best.QueryCount <= StreamingQueryLimit) SelectBestByStreaming(queries, best);
        else SelectBestByMatmul(queries, best);
    }

    /// <summary>
    /// One pass over the gallery, each block of rows scored against every query while it is in cache, on as many
    /// threads as libtorch uses: slices of the gallery are work items shared out dynamically, each thread keeps its
    /// own selection across its items (so its bar rises once), and the selections are merged at the end.
    /// </summary>
    private void SelectBestByStreaming(Tensor queries, RunningTopK best)
    {
        var scorer = BlockScorer.Create(Precision, _embeddingData, _rowScaleData, Dimension, queries.contiguous().data<float>().ToArray(), best.QueryCount);
        var threads = StreamingThreads > 0 ? StreamingThreads : get_num_threads();
        var sliceRows = (int)Math.Clamp(StreamWorkPerSlice / ((long)best.QueryCount * Dimension), 1024, StreamRowsPerSlice);
        if (threads <= 1 || Count < 2 * sliceRows)
        {
            StreamSlice(scorer, 0, Count, best);
            return;
        }
        var slices = (Count + sliceRows - 1) / sliceRows;
        Parallel.For(0, slices, new ParallelOptions { MaxDegreeOfParallelism = threads },
            best.EmptyCopy,
            (i, _, own) =>
            {
                StreamSlice(scorer, i * sliceRows, (int)Math.Min(Count, (long)(i + 1) * sliceRows), own);
                return own;
            },
            own =>
            {
                lock (best) best.Merge(own);
            });
    }

    private void StreamSlice(BlockScorer scorer, int start, int end, RunningTopK best)
    {
        // Blocks of as many rows whatever the precision: a half or int8 block is widened (or scored) against the
        // queries as a float32 one would be.
        var blockRows = Math.Max(3, StreamBlockBytes / (Dimension * sizeof(float)) / 3 * 3);
        var scores = ArrayPool<float>.Shared.Rent(best.QueryCount * blockRows);
        try
        {
            for (var block = start; block < end; block += blockRows)
            {
                var length = Math.Min(blockRows, end - block);
                scorer.Score(block, length, scores, blockRows);
                best.Offer(scores, blockRows, length, block);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scores);
        }
    }

    /// <summary>Chunk by chunk, one libtorch matmul each, written straight into the buffer the selection reads.</summary>
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
            (queries, var queryScales) = MatmulQueries(queries);
            for (var start = 0; start < Count; start += chunkSize)
            {
                using var chunkScope = NewDisposeScope();
                var length = Math.Min(chunkSize, Count - start);
                var target = scores.narrow(1, 0, length);
                // Half and int8 values widen to float32 exactly.
                var chunk = _embeddings.narrow(0, start, length).to(ScalarType.Float32).t();
                var rowScales = _rowScales?.narrow(0, start, length);
                if (onCpu)
                {
                    target.addmm_(queries, chunk, beta: 0, alpha: 1);
                    if (rowScales is not null) target.mul_(rowScales).mul_(queryScales!);
                }
                else
                {
                    var product = queries.mm(chunk);
                    if (rowScales is not null) product.mul_(rowScales).mul_(queryScales!);
                    target.copy_(product);
                }
                best.Offer(buffer.AsSpan(offset), rowStride, length, start);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The queries [Q, D] as the matmul path multiplies them: as given, or for an Int8 gallery quantised as its streaming
    /// path does, with their scales [Q, 1] (the scores are scaled at the end).
    /// </summary>
    private (Tensor Queries, Tensor? Scales) MatmulQueries(Tensor queries)
    {
        if (Precision != GalleryPrecision.Int8) return (queries, null);
        var count = (int)queries.shape[0];
        var quantised = Int8Quantization.QuantizeQueries(queries.cpu().contiguous().data<float>().ToArray(), count, Dimension);
        return (tensor(Array.ConvertAll(quantised.Values, v => (float)v), [count, Dimension]).to(queries.device),
            tensor(quantised.Scales, [count, 1]).to(queries.device));
    }

    /// <summary>
    /// The stored rows of finite <paramref name="embeddings"/> at <paramref name="precision"/> (and Int8's row scales),
    /// converted <see cref="FiniteCheckRows"/> rows at a time, so no full-size float32 temporary is made.
    /// </summary>
    private static (Tensor Rows, Tensor? Scales) Store(Tensor embeddings, GalleryPrecision precision)
    {
        var (count, dimension) = (embeddings.shape[0], embeddings.shape[1]);
        var device = embeddings.device;
        var stored = empty([count, dimension], precision switch
        {
            GalleryPrecision.Half => ScalarType.Float16,
            GalleryPrecision.Int8 => ScalarType.Int8,
            _ => ScalarType.Float32,
        }, device);
        var scales = precision == GalleryPrecision.Int8 ? empty([count], ScalarType.Float32, device) : null;
        for (long start = 0; start < count; start += FiniteCheckRows)
        {
            using var scope = NewDisposeScope();
            var length = Math.Min(FiniteCheckRows, count - start);
            var rows = embeddings.narrow(0, start, length).to(ScalarType.Float32);
            RequireFinite(rows, "Gallery embeddings");
            var target = stored.narrow(0, start, length);
            if (precision == GalleryPrecision.Int8)
            {
                var (values, rowScales) = Int8Quantization.QuantizeRows(rows);
                target.copy_(values);
                scales!.narrow(0, start, length).copy_(rowScales);
                continue;
            }
            target.copy_(rows);
            // Past ±65504 a half is infinite.
            if (precision == GalleryPrecision.Half && !target.isfinite().all().item<bool>())
                throw new ArgumentException(
                    "Gallery embeddings have values beyond ±65504, the largest half-precision value; store them as Single or Int8.");
        }
        return (stored, scales);
    }

    /// <summary>
    /// Where a contiguous CPU tensor's data starts: the address of its first row's bytes (TorchSharp's typed storage
    /// access takes neither half nor int8 tensors, and <c>Tensor.bytes</c> cannot span more than 2 GB).
    /// </summary>
    private static unsafe IntPtr DataAddress(Tensor values)
    {
        using var first = values.narrow(0, 0, 1);
        return (IntPtr)Unsafe.AsPointer(ref MemoryMarshal.GetReference(first.bytes));
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
