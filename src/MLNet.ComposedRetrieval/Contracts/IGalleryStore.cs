namespace MLNet.ComposedRetrieval;

/// <summary>
/// Where a gallery's embeddings live and how they are searched: the one interface behind
/// <see cref="GallerySearchEngine"/>, with two implementations.
/// </summary>
/// <remarks>
/// <para><see cref="InMemoryGalleryStore"/> keeps the embeddings in this process (float32, float16 or int8) and
/// searches them exactly. Pick it when the gallery fits in memory (1M x 512 takes 2 GB as float32, 1 GB as float16),
/// changes only when it is embedded again, and one process serves it: it needs nothing else and has the lowest
/// latency. It has no metadata, so it refuses category filters.</para>
/// <para><see cref="PgVectorGalleryStore"/> keeps them in PostgreSQL with pgvector, one table and HNSW index per
/// collection. Pick it when the catalogue lives in a database, changes every day (upsert and delete single products
/// without rebuilding), is shared by several servers, needs metadata filters (category), or outgrows one process's
/// memory (README.md, "Scale-out on paper"). Its HNSW search is approximate; candidates are re-ranked exactly, so its
/// top K equals exact search as far as the index's candidates reach (benchmarks/README.md has the measured overlap).</para>
/// <para>Scores are dot products of query and stored embedding at the store's <see cref="Precision"/>.</para>
/// </remarks>
public interface IGalleryStore : IDisposable
{
    /// <summary>The width of the stored embeddings.</summary>
    int Dimension { get; }

    /// <summary>
    /// The SHA-256 (hex) of the model whose embeddings the store holds
    /// (<see cref="ComposeImageTextTransformer.ModelChecksum"/>), or null when the store does not know it. A search
    /// engine refuses a store made with another model.
    /// </summary>
    string? ModelChecksum { get; }

    /// <summary>How the embeddings are stored, and so at which precision scores are computed.</summary>
    GalleryPrecision Precision { get; }

    /// <summary>The number of gallery images.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<long> CountAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The top <paramref name="k"/> gallery images for each query, best first (fewer when fewer match). Ties are in
    /// the order the images were added.
    /// </summary>
    /// <param name="queries">The query embeddings (each <see cref="Dimension"/> wide), with what to exclude or filter.</param>
    /// <param name="k">How many images per query (&gt; 0).</param>
    /// <param name="cancellationToken">Cancels the search.</param>
    /// <exception cref="NotSupportedException">A query has a category filter and the store has no metadata.</exception>
    /// <exception cref="GalleryStoreException">The store failed (server unreachable, timeout, ...).</exception>
    Task<IReadOnlyList<GalleryRanking>> SearchAsync(IReadOnlyList<GalleryStoreQuery> queries, int k, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="SearchAsync"/> for callers that cannot await (ML.NET's lazy data views): a database store blocks
    /// the calling thread on the same work.
    /// </summary>
    IReadOnlyList<GalleryRanking> Search(IReadOnlyList<GalleryStoreQuery> queries, int k);
}
