using System.Text.RegularExpressions;

namespace MLNet.ComposedRetrieval.Retrieval;

/// <summary>The SQL of a <see cref="PgVectorGalleryStore"/> collection: its names, schema and statements.</summary>
internal sealed partial class PgVectorSql
{
    public const string CollectionsTable = "mlcr_collections";

    public PgVectorSql(string collection, PgVectorStorage storage, int dimension)
    {
        Table = Quote("mlcr_gallery_" + collection);
        HnswIndex = Quote("mlcr_gallery_" + collection + "_hnsw");
        CategoryIndex = Quote("mlcr_gallery_" + collection + "_category");
        TypeName = storage == PgVectorStorage.HalfVec ? "halfvec" : "vector";
        ColumnType = $"{TypeName}({dimension})";
    }

    public string Table { get; }
    public string HnswIndex { get; }
    public string CategoryIndex { get; }

    /// <summary>pgvector's type name: <c>halfvec</c> or <c>vector</c>.</summary>
    public string TypeName { get; }

    /// <summary>The embedding column's type, with its width.</summary>
    public string ColumnType { get; }

    public static bool IsValidCollectionName(string? name) => name is not null && CollectionName().IsMatch(name);

    public const string CreateCollections =
        $"CREATE TABLE IF NOT EXISTS {CollectionsTable} (name text PRIMARY KEY, model_checksum text NOT NULL, " +
        "dimension integer NOT NULL, storage text NOT NULL, created timestamptz NOT NULL DEFAULT now())";

    public const string RegisterCollection =
        $"INSERT INTO {CollectionsTable} (name, model_checksum, dimension, storage) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING";

    public const string ReadCollection = $"SELECT model_checksum, dimension, storage FROM {CollectionsTable} WHERE name = $1";

    public const string RemoveCollection = $"DELETE FROM {CollectionsTable} WHERE name = $1";

    /// <summary>
    /// The gallery table: <c>seq</c> keeps the order items were added (ties rank by it, as in the in-memory index);
    /// title and category are optional metadata.
    /// </summary>
    public string CreateTable =>
        $"CREATE TABLE IF NOT EXISTS {Table} (seq bigint GENERATED ALWAYS AS IDENTITY, id text PRIMARY KEY, " +
        $"embedding {ColumnType} NOT NULL, title text, category text)";

    public string CreateCategoryIndex => $"CREATE INDEX IF NOT EXISTS {CategoryIndex} ON {Table} (category)";

    /// <summary>HNSW on the inner product (the model's score); <c>&lt;#&gt;</c> is its negative.</summary>
    public string CreateHnswIndex(int m, int efConstruction) =>
        $"CREATE INDEX IF NOT EXISTS {HnswIndex} ON {Table} USING hnsw (embedding {TypeName}_ip_ops) " +
        $"WITH (m = {m}, ef_construction = {efConstruction})";

    public string HasHnswIndex => $"SELECT to_regclass('{HnswIndex}') IS NOT NULL";

    public string DropTable => $"DROP TABLE IF EXISTS {Table}";

    public string Count => $"SELECT count(*) FROM {Table}";

    /// <summary>A batch is staged in a temporary table (dropped at commit) and moved in order, skipping present ids.</summary>
    public string CreateStaging =>
        $"CREATE TEMPORARY TABLE mlcr_staging (ord integer NOT NULL, id text NOT NULL, embedding {ColumnType} NOT NULL, " +
        "title text, category text) ON COMMIT DROP";

    public const string CopyStaging = "COPY mlcr_staging (ord, id, embedding, title, category) FROM STDIN (FORMAT BINARY)";

    public string MoveStaging =>
        $"INSERT INTO {Table} (id, embedding, title, category) SELECT id, embedding, title, category FROM mlcr_staging " +
        "ORDER BY ord ON CONFLICT (id) DO NOTHING";

    public string Upsert =>
        $"INSERT INTO {Table} (id, embedding, title, category) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE " +
        "SET embedding = EXCLUDED.embedding, title = EXCLUDED.title, category = EXCLUDED.category";

    public string Delete => $"DELETE FROM {Table} WHERE id = $1";

    /// <summary>
    /// Transaction-local search settings: the candidate list, and iterative index scans so that a filter that rejects
    /// most of what the graph offers still yields enough rows (the order may then be relaxed: the candidates are
    /// sorted again by exact score).
    /// </summary>
    public const string SearchSettings =
        "SELECT set_config('hnsw.ef_search', $1, true), set_config('hnsw.iterative_scan', 'relaxed_order', true), " +
        "set_config('hnsw.max_scan_tuples', $2, true)";

    /// <summary>
    /// The nearest candidates by inner product through the index ($1: the query as the column's type), each with its
    /// exact score against the float32 query ($2, a <c>vector</c>: a halfvec query would be rounded to half precision),
    /// computed for the returned rows only; $3 the category.
    /// </summary>
    public string Candidates(bool filtered, int limit) =>
        $"SELECT seq, id, -(embedding::vector <#> $2) AS score FROM {Table} " +
        (filtered ? "WHERE category = $3 " : "") + $"ORDER BY embedding <#> $1 LIMIT {limit}";

    private static string Quote(string identifier) => "\"" + identifier + "\"";

    [GeneratedRegex("^[a-z][a-z0-9_]{0,39}$")]
    private static partial Regex CollectionName();
}
