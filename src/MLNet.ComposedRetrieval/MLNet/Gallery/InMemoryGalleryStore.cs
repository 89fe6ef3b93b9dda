using MLNet.ComposedRetrieval.Retrieval;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// A gallery held in this process and searched exactly (a <see cref="GalleryIndex"/>: float32, float16 or int8 rows).
/// See <see cref="IGalleryStore"/> for when to pick it rather than <see cref="PgVectorGalleryStore"/>.
/// </summary>
public sealed class InMemoryGalleryStore : IGalleryStore
{
    private readonly GalleryIndex _index;

    internal InMemoryGalleryStore(GalleryIndex index, string? modelChecksum)
    {
        _index = index;
        ModelChecksum = modelChecksum;
    }

    /// <summary>Stores <paramref name="embeddings"/> (row after row) under <paramref name="ids"/>.</summary>
    /// <param name="ids">One unique id per row.</param>
    /// <param name="embeddings">The rows, <paramref name="dimension"/> finite values each.</param>
    /// <param name="dimension">The embedding width.</param>
    /// <param name="precision">How the rows are stored and scored.</param>
    /// <param name="modelChecksum">The model that made them (<see cref="ComposeImageTextTransformer.ModelChecksum"/>),
    /// or null to skip the check a search engine makes.</param>
    public InMemoryGalleryStore(IReadOnlyList<string> ids, ReadOnlySpan<float> embeddings, int dimension,
        GalleryPrecision precision = GalleryPrecision.Single, string? modelChecksum = null)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if (embeddings.Length != (long)ids.Count * dimension)
            throw new ArgumentException($"{ids.Count} ids of {dimension} values need {(long)ids.Count * dimension} values; {embeddings.Length} given.", nameof(embeddings));
        using var scope = NewDisposeScope();
        _index = new GalleryIndex(ids, tensor(embeddings.ToArray(), [ids.Count, dimension]), precision: precision);
        ModelChecksum = modelChecksum;
    }

    /// <inheritdoc />
    public int Dimension => _index.Dimension;

    /// <inheritdoc />
    public string? ModelChecksum { get; }

    /// <inheritdoc />
    public GalleryPrecision Precision => _index.Precision;

    /// <summary>The number of gallery images.</summary>
    public int Count => _index.Count;

    /// <summary>The gallery ids, in gallery order.</summary>
    public IReadOnlyList<string> Ids => _index.Ids;

    /// <summary>The bytes the stored embeddings take in memory (with the int8 rows' scales): how the precision sizes a gallery.</summary>
    public long StoredBytes => _index.StoredBytes;

    internal GalleryIndex Index => _index;

    /// <inheritdoc />
    public Task<long> CountAsync(CancellationToken cancellationToken = default) => Task.FromResult((long)_index.Count);

    /// <inheritdoc />
    public Task<IReadOnlyList<GalleryRanking>> SearchAsync(IReadOnlyList<GalleryStoreQuery> queries, int k, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Search(queries, k));
    }

    /// <inheritdoc />
    public IReadOnlyList<GalleryRanking> Search(IReadOnlyList<GalleryStoreQuery> queries, int k)
    {
        ArgumentNullException.ThrowIfNull(queries);
        var values = new float[(long)queries.Count * Dimension];
        var excluded = new string?[queries.Count];
        for (var q = 0; q < queries.Count; q++)
        {
            var query = queries[q] ?? throw new ArgumentException($"Query {q} is null.", nameof(queries));
            if (query.Category is not null)
                throw new NotSupportedException(
                    "The in-memory gallery store holds no metadata, so it cannot filter by category; keep the gallery in a " +
                    "PgVectorGalleryStore with categories to filter.");
            if (query.Embedding.Length != Dimension)
                throw new ArgumentException($"Query {q} has {query.Embedding.Length} values; the gallery's embeddings have {Dimension}.", nameof(queries));
            query.Embedding.Span.CopyTo(values.AsSpan(q * Dimension));
            excluded[q] = query.ExcludedImageId;
        }
        using var scope = NewDisposeScope();
        return _index.Search(tensor(values, [queries.Count, Dimension]), k, excluded);
    }

    /// <summary>Frees the embeddings.</summary>
    public void Dispose() => _index.Dispose();
}
