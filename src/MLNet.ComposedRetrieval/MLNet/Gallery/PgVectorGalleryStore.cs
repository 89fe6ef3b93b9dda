using System.Diagnostics;
using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using Pgvector;
using Pgvector.Npgsql;
using MLNet.ComposedRetrieval.Retrieval;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// A gallery in PostgreSQL with pgvector: one table per collection (id, embedding as <c>halfvec(D)</c> or
/// <c>vector(D)</c>, optional title and category, insertion order) with an HNSW index on the inner product, and the
/// model's checksum and embedding width recorded in <c>mlcr_collections</c>. See <see cref="IGalleryStore"/> for when
/// to pick it.
/// </summary>
/// <remarks>
/// <para>Open a collection with <see cref="OpenAsync"/> (it is created when absent; opening it with another model is
/// refused), fill it with <see cref="IngestAsync"/> (binary COPY, one transaction per batch, resumable), change it
/// with <see cref="UpsertAsync"/> and <see cref="DeleteAsync"/>, and search it directly or through a
/// <see cref="GallerySearchEngine"/> (<c>model.CreateSearchEngine(store)</c>).</para>
/// <para>A search asks the HNSW index for <see cref="PgVectorGalleryOptions.RerankCandidates"/> candidates (with
/// <c>hnsw.ef_search</c> at least that many) and sorts them by their exact score, so its top K is the exact top K
/// whenever the exact top K are among the candidates. A category filter uses pgvector's iterative index scans, so a
/// filtered query still returns K rows when K match. The query's excluded image is dropped from its candidates.</para>
/// <para>Failures throw <see cref="GalleryStoreException"/> (server unreachable, connection lost, timeout, model
/// mismatch); transient ones are first retried by <see cref="PgVectorGalleryOptions.Retry"/>. Every write is one
/// transaction, so a failure never leaves half of it. All methods are safe to call from several threads.</para>
/// </remarks>
public sealed class PgVectorGalleryStore : IGalleryStore, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly PgVectorGalleryOptions _options;
    private readonly PgVectorSql _sql;
    private readonly string _server;

    private PgVectorGalleryStore(NpgsqlDataSource dataSource, PgVectorGalleryOptions options, PgVectorSql sql, string server,
        string modelChecksum, int dimension, PgVectorStorage storage)
    {
        _dataSource = dataSource;
        _options = options;
        _sql = sql;
        _server = server;
        ModelChecksum = modelChecksum;
        Dimension = dimension;
        Storage = storage;
    }

    /// <summary>
    /// Opens the collection <see cref="PgVectorGalleryOptions.Collection"/> on the server, creating the pgvector
    /// extension, the table and the collection's record when absent.
    /// </summary>
    /// <param name="connectionString">An Npgsql connection string ("Host=...;Port=...;Username=...;Password=...;Database=...").</param>
    /// <param name="modelChecksum">The model whose embeddings the collection holds: <see cref="ComposeImageTextTransformer.ModelChecksum"/>.</param>
    /// <param name="dimension">Its embedding width (<see cref="ComposeImageTextTransformer.EmbeddingDimension"/>).</param>
    /// <param name="options">The collection and search settings; defaults when null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="GalleryStoreException">The server is unreachable, or the collection holds another model's
    /// embeddings (<see cref="GalleryStoreFailure.ModelMismatch"/>).</exception>
    public static async Task<PgVectorGalleryStore> OpenAsync(string connectionString, string modelChecksum, int dimension,
        PgVectorGalleryOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelChecksum);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        // pgvector's index limits: 4,000 dimensions for halfvec, 2,000 for vector.
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dimension, 4000);
        options ??= new PgVectorGalleryOptions();
        options.Validate();

        var builder = new NpgsqlDataSourceBuilder(connectionString);
        if (options.CommandTimeout is { } timeout) builder.ConnectionStringBuilder.CommandTimeout = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds));
        builder.UseVector();
        var server = $"{builder.ConnectionStringBuilder.Host}:{builder.ConnectionStringBuilder.Port}";
        var dataSource = builder.Build();
        try
        {
            var collection = options.Collection;
            var (checksum, width, storage) = await Run(dataSource, options.Retry, $"opening of collection '{collection}'", server, async (connection, ct) =>
            {
                await Execute(connection, null, "CREATE EXTENSION IF NOT EXISTS vector", ct);
                // Types are read when the first connection opens: read them again now that pgvector's exist.
                await connection.ReloadTypesAsync(ct);
                await using var transaction = await connection.BeginTransactionAsync(ct);
                await Execute(connection, transaction, PgVectorSql.CreateCollections, ct);
                await Execute(connection, transaction, PgVectorSql.RegisterCollection, ct,
                    collection, modelChecksum, dimension, options.Storage.ToString());
                var found = await ReadCollection(connection, transaction, collection, ct);
                var existing = new PgVectorSql(collection, found.Storage, found.Dimension);
                if (found.Checksum == modelChecksum && found.Dimension == dimension)
                {
                    await Execute(connection, transaction, existing.CreateTable, ct);
                    await Execute(connection, transaction, existing.CreateCategoryIndex, ct);
                }
                await transaction.CommitAsync(ct);
                return found;
            }, cancellationToken).ConfigureAwait(false);

            if (checksum != modelChecksum || width != dimension)
                throw new GalleryStoreException(GalleryStoreFailure.ModelMismatch,
                    $"Collection '{collection}' on {server} holds {width}-d embeddings of the model with checksum {checksum}; " +
                    $"this model ({dimension}-d) has checksum {modelChecksum}. Embeddings of different models cannot be compared: " +
                    "open the collection with the model that filled it, or ingest this model's embeddings into another collection " +
                    "(PgVectorGalleryOptions.Collection).");
            return new PgVectorGalleryStore(dataSource, options, new PgVectorSql(collection, storage, width), server, checksum, width, storage);
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Removes a collection (its table, index and record) if it exists.</summary>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="collection">The collection's name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public static async Task DropAsync(string connectionString, string collection, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        if (!PgVectorSql.IsValidCollectionName(collection)) throw new ArgumentException($"Collection name '{collection}' is invalid.", nameof(collection));
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        await using var dataSource = NpgsqlDataSource.Create(builder);
        var sql = new PgVectorSql(collection, PgVectorStorage.HalfVec, 1);
        await Run(dataSource, GalleryStoreRetryPolicy.Default, $"removal of collection '{collection}'", $"{builder.Host}:{builder.Port}", async (connection, ct) =>
        {
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await Execute(connection, transaction, sql.DropTable, ct);
            await Execute(connection, transaction, PgVectorSql.CreateCollections, ct);
            await Execute(connection, transaction, PgVectorSql.RemoveCollection, ct, collection);
            await transaction.CommitAsync(ct);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public int Dimension { get; }

    /// <inheritdoc />
    public string ModelChecksum { get; }

    /// <summary>The column type of the embeddings.</summary>
    public PgVectorStorage Storage { get; }

    /// <inheritdoc />
    public GalleryPrecision Precision => Storage == PgVectorStorage.HalfVec ? GalleryPrecision.Half : GalleryPrecision.Single;

    /// <summary>The collection's settings.</summary>
    public PgVectorGalleryOptions Options => _options;

    /// <inheritdoc />
    public Task<long> CountAsync(CancellationToken cancellationToken = default) =>
        RunAsync("count", async (connection, ct) =>
        {
            await using var command = new NpgsqlCommand(_sql.Count, connection);
            return (long)(await command.ExecuteScalarAsync(ct))!;
        }, cancellationToken);

    /// <summary>True once the HNSW index exists (<see cref="BuildIndexAsync"/>); without it searches scan the table exactly.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<bool> HasIndexAsync(CancellationToken cancellationToken = default) =>
        RunAsync("index check", async (connection, ct) =>
        {
            await using var command = new NpgsqlCommand(_sql.HasHnswIndex, connection);
            return (bool)(await command.ExecuteScalarAsync(ct))!;
        }, cancellationToken);

    /// <summary>
    /// Builds the HNSW index (inner product; <see cref="PgVectorGalleryOptions.HnswM"/>,
    /// <see cref="PgVectorGalleryOptions.HnswEfConstruction"/>) if it does not exist yet. Building it once after a bulk
    /// load is much faster than maintaining it row by row; later upserts maintain it.
    /// </summary>
    /// <param name="cancellationToken">Cancels the build (nothing of it is kept).</param>
    /// <returns>How long the build took (zero when the index existed).</returns>
    public async Task<TimeSpan> BuildIndexAsync(CancellationToken cancellationToken = default)
    {
        if (await HasIndexAsync(cancellationToken).ConfigureAwait(false)) return TimeSpan.Zero;
        var clock = Stopwatch.StartNew();
        await RunAsync("HNSW index build", async (connection, ct) =>
        {
            await using var transaction = await connection.BeginTransactionAsync(ct);
            if (_options.IndexBuildMemoryMegabytes is { } megabytes)
                await Execute(connection, transaction, "SELECT set_config('maintenance_work_mem', $1, true)", ct, $"{megabytes}MB");
            await using var command = new NpgsqlCommand(_sql.CreateHnswIndex(_options.HnswM, _options.HnswEfConstruction), connection, transaction)
            {
                CommandTimeout = (int)Math.Ceiling(_options.IndexBuildTimeout.TotalSeconds),
            };
            await command.ExecuteNonQueryAsync(ct);
            await transaction.CommitAsync(ct);
            return true;
        }, cancellationToken).ConfigureAwait(false);
        return clock.Elapsed;
    }

    /// <summary>
    /// Adds items in batches of <see cref="PgVectorGalleryOptions.IngestBatchSize"/>: each batch is written with one
    /// binary COPY and committed in its own transaction, so an interruption (a failure, a cancellation, a killed
    /// process) leaves whole batches only. Ids already present are skipped, so running the same ingestion again
    /// resumes where it stopped. Items keep their order (ties in a search rank by it).
    /// </summary>
    /// <param name="items">The items, for instance <c>EmbedGalleryImages</c> output read with
    /// <see cref="GalleryStoreIngestion.ReadGalleryItems"/>.</param>
    /// <param name="progress">Told after every committed batch.</param>
    /// <param name="buildIndex">Builds the HNSW index at the end if it does not exist yet.</param>
    /// <param name="cancellationToken">Stops after the batch in flight is rolled back.</param>
    /// <returns>What was read, inserted and skipped.</returns>
    /// <exception cref="GalleryStoreException">A batch failed after its retries; the message says how many rows were
    /// committed before it.</exception>
    public async Task<GalleryIngestProgress> IngestAsync(IEnumerable<GalleryItem> items, IProgress<GalleryIngestProgress>? progress = null,
        bool buildIndex = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        var clock = Stopwatch.StartNew();
        long read = 0, inserted = 0;
        var batches = 0;
        var batch = new List<GalleryItem>(_options.IngestBatchSize);
        async Task Flush()
        {
            var first = read - batch.Count;
            int added;
            try
            {
                added = await RunAsync($"ingestion of rows {first}-{read - 1}", (connection, ct) => WriteBatch(connection, batch, ct),
                    cancellationToken).ConfigureAwait(false);
            }
            catch (GalleryStoreException e)
            {
                throw new GalleryStoreException(e.Failure,
                    $"{e.Message} Rows {first}-{read - 1} (this batch) were not written; {inserted} rows were committed by this run in " +
                    $"{batches} earlier batches. Run the ingestion again to resume: ids already present are skipped.", e.InnerException);
            }
            inserted += added;
            batches++;
            batch.Clear();
            progress?.Report(new GalleryIngestProgress(read, inserted, read - inserted, batches, clock.Elapsed));
        }
        foreach (var item in items)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Validate(item, read);
            batch.Add(item);
            read++;
            if (batch.Count == _options.IngestBatchSize) await Flush().ConfigureAwait(false);
        }
        if (batch.Count > 0) await Flush().ConfigureAwait(false);
        if (buildIndex) await BuildIndexAsync(cancellationToken).ConfigureAwait(false);
        return new GalleryIngestProgress(read, inserted, read - inserted, batches, clock.Elapsed);
    }

    /// <summary>Adds a product, or replaces the embedding and metadata of the product with its id (index maintained).</summary>
    /// <param name="item">The product.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task UpsertAsync(GalleryItem item, CancellationToken cancellationToken = default)
    {
        Validate(item, 0);
        return RunAsync($"upsert of '{item.Id}'", async (connection, ct) =>
        {
            await Execute(connection, null, _sql.Upsert, ct, item.Id, ToParameter(item.Embedding), (object?)item.Title ?? DBNull.Value,
                (object?)item.Category ?? DBNull.Value);
            return true;
        }, cancellationToken);
    }

    /// <summary>Removes a product.</summary>
    /// <param name="id">Its id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>True if it was there.</returns>
    public Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return RunAsync($"deletion of '{id}'", async (connection, ct) => await Execute(connection, null, _sql.Delete, ct, id) > 0,
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<GalleryRanking>> SearchAsync(IReadOnlyList<GalleryStoreQuery> queries, int k, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        for (var q = 0; q < queries.Count; q++)
        {
            if (queries[q] is null) throw new ArgumentException($"Query {q} is null.", nameof(queries));
            if (queries[q].Embedding.Length != Dimension)
                throw new ArgumentException($"Query {q} has {queries[q].Embedding.Length} values; the collection's embeddings have {Dimension}.", nameof(queries));
            RequireFinite(queries[q].Embedding.Span, $"Query {q}");
        }
        if (queries.Count == 0) return Task.FromResult<IReadOnlyList<GalleryRanking>>([]);
        return RunAsync("search", (connection, ct) => SearchBatch(connection, queries, k, ct), cancellationToken);
    }

    /// <inheritdoc />
    public IReadOnlyList<GalleryRanking> Search(IReadOnlyList<GalleryStoreQuery> queries, int k) =>
        SearchAsync(queries, k).GetAwaiter().GetResult();

    /// <summary>Closes the store's connections.</summary>
    public void Dispose() => _dataSource.Dispose();

    /// <summary>Closes the store's connections.</summary>
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private async Task<IReadOnlyList<GalleryRanking>> SearchBatch(NpgsqlConnection connection, IReadOnlyList<GalleryStoreQuery> queries, int k, CancellationToken ct)
    {
        var candidates = Math.Max(k, _options.RerankCandidates);
        // One more when a query excludes an image, so excluding it never costs a place.
        var limit = candidates + 1;
        var efSearch = Math.Min(1000, Math.Max(_options.EfSearch, limit));
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await Execute(connection, transaction, PgVectorSql.SearchSettings, ct,
            efSearch.ToString(CultureInfo.InvariantCulture), _options.MaxScanTuples.ToString(CultureInfo.InvariantCulture));
        var rankings = new GalleryRanking[queries.Count];
        var found = new List<(long Seq, string Id, double Score)>(limit);
        for (var q = 0; q < queries.Count; q++)
        {
            var query = queries[q];
            found.Clear();
            await using (var command = new NpgsqlCommand(_sql.Candidates(query.Category is not null, limit), connection, transaction))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = ToParameter(query.Embedding) });
                command.Parameters.Add(new NpgsqlParameter { Value = new Vector(query.Embedding) });
                if (query.Category is not null) command.Parameters.Add(new NpgsqlParameter { Value = query.Category });
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    var id = reader.GetString(1);
                    if (id != query.ExcludedImageId) found.Add((reader.GetInt64(0), id, reader.GetDouble(2)));
                }
            }
            // The exact re-rank: by the float32 score, ties in insertion order (an iterative scan may return rows out of order).
            found.Sort((a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : a.Seq.CompareTo(b.Seq));
            var count = Math.Min(k, found.Count);
            var ids = new string[count];
            var scores = new float[count];
            for (var i = 0; i < count; i++) (ids[i], scores[i]) = (found[i].Id, (float)found[i].Score);
            rankings[q] = new GalleryRanking(ids, scores);
        }
        await transaction.CommitAsync(ct);
        return rankings;
    }

    private async Task<int> WriteBatch(NpgsqlConnection connection, IReadOnlyList<GalleryItem> batch, CancellationToken ct)
    {
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await Execute(connection, transaction, _sql.CreateStaging, ct);
        await using (var writer = await connection.BeginBinaryImportAsync(PgVectorSql.CopyStaging, ct))
        {
            for (var i = 0; i < batch.Count; i++)
            {
                var item = batch[i];
                await writer.StartRowAsync(ct);
                await writer.WriteAsync(i, NpgsqlDbType.Integer, ct);
                await writer.WriteAsync(item.Id, NpgsqlDbType.Text, ct);
                await writer.WriteAsync(ToParameter(item.Embedding), _sql.TypeName, ct);
                await WriteNullable(writer, item.Title, ct);
                await WriteNullable(writer, item.Category, ct);
            }
            await writer.CompleteAsync(ct);
        }
        var inserted = await Execute(connection, transaction, _sql.MoveStaging, ct);
        await transaction.CommitAsync(ct);
        return inserted;
    }

    private static async Task WriteNullable(NpgsqlBinaryImporter writer, string? value, CancellationToken ct)
    {
        if (value is null) await writer.WriteNullAsync(ct);
        else await writer.WriteAsync(value, NpgsqlDbType.Text, ct);
    }

    /// <summary>The embedding as the collection's pgvector type.</summary>
    private object ToParameter(ReadOnlyMemory<float> embedding)
    {
        if (Storage == PgVectorStorage.Vector) return new Vector(embedding);
        var halves = new Half[embedding.Length];
        var span = embedding.Span;
        for (var i = 0; i < halves.Length; i++) halves[i] = (Half)span[i];
        return new HalfVector(halves);
    }

    private void Validate(GalleryItem item, long row)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (string.IsNullOrWhiteSpace(item.Id)) throw new ArgumentException($"Item {row} has an empty id.", nameof(item));
        if (item.Embedding.Length != Dimension)
            throw new ArgumentException($"Item '{item.Id}' has {item.Embedding.Length} values; the collection's embeddings have {Dimension}.", nameof(item));
        RequireFinite(item.Embedding.Span, $"Item '{item.Id}'");
        if (Storage == PgVectorStorage.HalfVec)
            foreach (var value in item.Embedding.Span)
                if (Math.Abs(value) > (float)Half.MaxValue)
                    throw new ArgumentException($"Item '{item.Id}' has a value beyond ±65504, the largest halfvec value; use PgVectorStorage.Vector.", nameof(item));
    }

    private static void RequireFinite(ReadOnlySpan<float> values, string what)
    {
        foreach (var value in values)
            if (!float.IsFinite(value)) throw new ArgumentException($"{what} has NaN or infinite values.");
    }

    private Task<T> RunAsync<T>(string operation, Func<NpgsqlConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken) =>
        Run(_dataSource, _options.Retry, $"{operation} of collection '{_options.Collection}'", _server, work, cancellationToken);

    /// <summary>Runs <paramref name="work"/> on a pooled connection, retrying transient failures, translating the rest.</summary>
    private static async Task<T> Run<T>(NpgsqlDataSource dataSource, GalleryStoreRetryPolicy retry, string operation, string server,
        Func<NpgsqlConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var connected = false;
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                connected = true;
                return await work(connection, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (attempt < retry.MaxAttempts && PgVectorFaults.IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(retry.DelayAfter(attempt), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException)
            {
                throw PgVectorFaults.Translate(e, operation, server, connected, attempt);
            }
        }
    }

    private static async Task<int> Execute(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken ct,
        params object?[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var value in parameters) command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        return await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<(string Checksum, int Dimension, PgVectorStorage Storage)> ReadCollection(NpgsqlConnection connection,
        NpgsqlTransaction transaction, string collection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(PgVectorSql.ReadCollection, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = collection });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
            throw new GalleryStoreException(GalleryStoreFailure.Missing, $"Collection '{collection}' was removed while it was being opened.");
        return (reader.GetString(0), reader.GetInt32(1), Enum.Parse<PgVectorStorage>(reader.GetString(2)));
    }
}
