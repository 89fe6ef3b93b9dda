using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.ComposedRetrieval.Retrieval;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval;

/// <summary>Reads ids and embeddings out of a data view into one row-major buffer, to index or score them.</summary>
internal sealed class EmbeddingTable
{
    private EmbeddingTable(List<string> ids, float[] values, int dimension)
    {
        Ids = ids;
        Values = values;
        Dimension = dimension;
    }

    public IReadOnlyList<string> Ids { get; }

    /// <summary>Embeddings row after row, <see cref="Dimension"/> values each.</summary>
    public float[] Values { get; }

    public int Dimension { get; }

    /// <summary>Reads every row's id (String, non-empty) and embedding (known-size Single vector).</summary>
    /// <param name="data">The rows.</param>
    /// <param name="idColumnName">The id column.</param>
    /// <param name="embeddingColumnName">The embedding column.</param>
    /// <param name="what">What the rows are, for error messages ("gallery", ...).</param>
    public static EmbeddingTable Read(IDataView data, string idColumnName, string embeddingColumnName, string what)
    {
        var idColumn = ColumnBinding.BindText(data.Schema, idColumnName, $"{what} image id");
        var embeddingColumn = ColumnBinding.BindEmbedding(data.Schema, embeddingColumnName, $"{what} embedding");
        int dimension = ((VectorDataViewType)embeddingColumn.Type).Size;
        var ids = new List<string>();
        var values = new List<float>();
        using var cursor = data.GetRowCursor([idColumn, embeddingColumn]);
        var idGetter = cursor.GetGetter<ReadOnlyMemory<char>>(idColumn);
        var embeddingGetter = cursor.GetGetter<VBuffer<float>>(embeddingColumn);
        ReadOnlyMemory<char> id = default;
        VBuffer<float> embedding = default;
        while (cursor.MoveNext())
        {
            idGetter(ref id);
            if (id.Span.IsWhiteSpace())
                throw new InvalidOperationException($"Row {cursor.Position}: the {what} image id column '{idColumnName}' is empty.");
            embeddingGetter(ref embedding);
            ids.Add(id.ToString());
            foreach (var value in embedding.DenseValues()) values.Add(value);
        }
        if (ids.Count == 0) throw new ArgumentException($"The {what} has no rows.", nameof(data));
        return new EmbeddingTable(ids, values.ToArray(), dimension);
    }

    /// <summary>An exact top-K index over the rows, stored at <paramref name="precision"/> (the caller disposes it).</summary>
    public GalleryIndex ToIndex(GalleryPrecision precision = GalleryPrecision.Single)
    {
        using var scope = NewDisposeScope();
        return new GalleryIndex(Ids, tensor(Values, [Ids.Count, Dimension]), precision: precision);
    }
}
