using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.ComposedRetrieval.Retrieval;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// Reads embedded queries and an embedded gallery out of data views and scores them with <see cref="RecallAtK"/>, the
/// one Recall@K implementation (the same as training validation's).
/// </summary>
internal static class RecallAtKEvaluation
{
    public static readonly int[] DefaultKs = [1, 10, 50];

    /// <summary>What <c>mlContext.Ranking.EvaluateRecallAtK</c> does (its parameters follow the host); a warning goes to
    /// the host (null: nowhere) when query targets are missing from the gallery.</summary>
    public static RecallAtKMetrics Evaluate(IHost? host, IDataView queries, IDataView gallery, string targetImageIdsColumnName,
        string? referenceImageIdColumnName, string queryEmbeddingColumnName, string galleryImageIdColumnName,
        string galleryEmbeddingColumnName, IReadOnlyList<int>? ks, char targetIdSeparator, GalleryPrecision galleryPrecision)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(gallery);
        var galleryTable = EmbeddingTable.Read(gallery, galleryImageIdColumnName, galleryEmbeddingColumnName);

        var embeddingColumn = ColumnBinding.BindEmbedding(queries.Schema, queryEmbeddingColumnName, "query embedding");
        int dimension = ((VectorDataViewType)embeddingColumn.Type).Size;
        if (dimension != galleryTable.Dimension)
            throw new ArgumentException(
                $"The query embedding column '{queryEmbeddingColumnName}' has {dimension} values per row but the gallery " +
                $"embedding column '{galleryEmbeddingColumnName}' has {galleryTable.Dimension}; embed both with the same model.", nameof(queries));
        var targetColumn = ColumnBinding.Find(queries.Schema, targetImageIdsColumnName, "target image ids");
        if (targetColumn.Type is not (TextDataViewType or VectorDataViewType { ItemType: TextDataViewType }))
            throw ColumnBinding.Mismatch("target image ids", targetImageIdsColumnName,
                $"a String of ids separated by '{targetIdSeparator}' or a vector of String ids", $"{targetColumn.Type}");
        var referenceColumn = referenceImageIdColumnName is null ? (DataViewSchema.Column?)null
            : ColumnBinding.BindText(queries.Schema, referenceImageIdColumnName, "reference image id");

        var values = new List<float>();
        var references = new List<string?>();
        var targets = new List<IReadOnlyCollection<string>>();
        var active = new List<DataViewSchema.Column> { embeddingColumn, targetColumn };
        if (referenceColumn is { } r) active.Add(r);
        using (var cursor = queries.GetRowCursor(active))
        {
            var embeddingGetter = cursor.GetGetter<VBuffer<float>>(embeddingColumn);
            var readTargets = TargetReader(cursor, targetColumn, targetIdSeparator);
            var referenceReader = referenceColumn is { } column ? new TextColumnReader(cursor, column) : null;
            VBuffer<float> embedding = default;
            while (cursor.MoveNext())
            {
                embeddingGetter(ref embedding);
                foreach (var value in embedding.DenseValues()) values.Add(value);
                var rowTargets = readTargets();
                if (rowTargets.Count == 0)
                    throw new InvalidOperationException($"Query row {cursor.Position} has no target image id in column '{targetImageIdsColumnName}'.");
                targets.Add(rowTargets);
                references.Add(referenceReader?.Read() is { Length: > 0 } id ? id : null);
            }
        }
        if (targets.Count == 0) throw new ArgumentException("The query data has no rows.", nameof(queries));

        using var index = galleryTable.ToIndex(galleryPrecision);
        using var scope = NewDisposeScope();
        var result = RecallAtK.Compute(index, tensor(values.ToArray(), [targets.Count, dimension]),
            referenceColumn is null ? null : references, targets, ks ?? DefaultKs);
        if (result.Coverage.HasMissing && host is not null)
        {
            using var channel = host.Start("EvaluateRecallAtK");
            channel.Warning(MessageSensitivity.None, result.Coverage.Describe(result.QueryCount) +
                $" Query numbers count the rows of the query data from 0; check column '{targetImageIdsColumnName}' against the gallery's '{galleryImageIdColumnName}'.");
        }
        return new RecallAtKMetrics(result);
    }

    /// <summary>Reads a row's target ids from a separated String or a vector of Strings.</summary>
    private static Func<IReadOnlyCollection<string>> TargetReader(DataViewRow row, DataViewSchema.Column column, char separator)
    {
        if (column.Type is TextDataViewType)
        {
            var getter = row.GetGetter<ReadOnlyMemory<char>>(column);
            ReadOnlyMemory<char> value = default;
            return () =>
            {
                getter(ref value);
                return value.ToString().Split(separator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            };
        }
        var vectorGetter = row.GetGetter<VBuffer<ReadOnlyMemory<char>>>(column);
        VBuffer<ReadOnlyMemory<char>> values = default;
        return () =>
        {
            vectorGetter(ref values);
            return values.DenseValues().Select(v => v.ToString().Trim()).Where(v => v.Length > 0).ToArray();
        };
    }
}
