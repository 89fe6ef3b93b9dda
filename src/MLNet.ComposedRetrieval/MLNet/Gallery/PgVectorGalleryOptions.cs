using MLNet.ComposedRetrieval.Retrieval;

namespace MLNet.ComposedRetrieval;

/// <summary>Settings of a <see cref="PgVectorGalleryStore"/> collection and of its searches.</summary>
public sealed record PgVectorGalleryOptions
{
    /// <summary>The collection: lower-case letters, digits and underscores, starting with a letter, at most 40
    /// characters. Its table is <c>mlcr_gallery_&lt;name&gt;</c>; the collections table <c>mlcr_collections</c>
    /// records each one's model and embedding width.</summary>
    public string Collection { get; init; } = "gallery";

    /// <summary>The column type of the embeddings when the collection is created (ignored when it exists).</summary>
    public PgVectorStorage Storage { get; init; } = PgVectorStorage.HalfVec;

    /// <summary>HNSW graph degree (<c>m</c>) when the index is built.</summary>
    public int HnswM { get; init; } = 16;

    /// <summary>HNSW build-time candidate list (<c>ef_construction</c>).</summary>
    public int HnswEfConstruction { get; init; } = 64;

    /// <summary>HNSW search-time candidate list (<c>hnsw.ef_search</c>): larger finds more of the exact top K, slower.
    /// Raised to <see cref="RerankCandidates"/> when that is larger.</summary>
    public int EfSearch { get; init; } = 100;

    /// <summary>Candidates fetched from the index per query and re-ranked exactly (at least K).</summary>
    public int RerankCandidates { get; init; } = 100;

    /// <summary>How many matching rows an index scan may visit for a filtered query before it stops
    /// (<c>hnsw.max_scan_tuples</c>, with <c>hnsw.iterative_scan = relaxed_order</c>).</summary>
    public int MaxScanTuples { get; init; } = 20_000;

    /// <summary>Rows per bulk-ingestion batch (one binary COPY and one transaction each).</summary>
    public int IngestBatchSize { get; init; } = 2_000;

    /// <summary>The longest a single command may run; null for Npgsql's default (30 s). Index builds use
    /// <see cref="IndexBuildTimeout"/>.</summary>
    public TimeSpan? CommandTimeout { get; init; }

    /// <summary>
    /// <c>maintenance_work_mem</c> for the HNSW build, in megabytes (null: the server's setting). The build is much
    /// faster while the graph fits in it (about 1.3 kB a row for halfvec(512) with m = 16).
    /// </summary>
    public int? IndexBuildMemoryMegabytes { get; init; }

    /// <summary>The longest building the HNSW index may take (0: no limit).</summary>
    public TimeSpan IndexBuildTimeout { get; init; } = TimeSpan.Zero;

    /// <summary>How transient failures are retried.</summary>
    public GalleryStoreRetryPolicy Retry { get; init; } = GalleryStoreRetryPolicy.Default;

    internal void Validate()
    {
        if (!PgVectorSql.IsValidCollectionName(Collection))
            throw new ArgumentException(
                $"Collection name '{Collection}' is invalid: use 1-40 lower-case letters, digits and underscores, starting with a letter.", nameof(Collection));
        if (!Enum.IsDefined(Storage)) throw new ArgumentOutOfRangeException(nameof(Storage), Storage, "Unknown storage.");
        ArgumentOutOfRangeException.ThrowIfLessThan(HnswM, 2, nameof(HnswM));
        ArgumentOutOfRangeException.ThrowIfLessThan(HnswEfConstruction, 2 * HnswM, nameof(HnswEfConstruction));
        ArgumentOutOfRangeException.ThrowIfLessThan(EfSearch, 1, nameof(EfSearch));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(EfSearch, 1000, nameof(EfSearch));
        ArgumentOutOfRangeException.ThrowIfLessThan(RerankCandidates, 1, nameof(RerankCandidates));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxScanTuples, 1, nameof(MaxScanTuples));
        ArgumentOutOfRangeException.ThrowIfLessThan(IngestBatchSize, 1, nameof(IngestBatchSize));
        if (IndexBuildMemoryMegabytes is { } memory) ArgumentOutOfRangeException.ThrowIfLessThan(memory, 1, nameof(IndexBuildMemoryMegabytes));
        ArgumentNullException.ThrowIfNull(Retry, nameof(Retry));
        Retry.Validate();
    }
}
