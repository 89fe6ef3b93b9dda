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

    /// <summary>Reads every gallery row's id (String, non-empty) and embedding (known-size Single vector).</summary>
    /// <param name="data">The rows.</param>
    /// <param name="idColumnName">The id column.</param>
    /// <param name="embeddingColumnName">The embedding column.</param>
    public static EmbeddingTable Read(IDataView data, string idColumnName, string embeddingColumnName)
    {
        var ids = new List<string>();
        var values = new List<float>();
        var dimension = 0;
        foreach (var item in data.ReadGalleryItems(idColumnName, embeddingColumnName))
        {
            ids.Add(item.Id);
            values.AddRange(item.Embedding.Span);
            dimension = item.Embedding.Length;
        }
        if (ids.Count == 0) throw new ArgumentException("The gallery has no rows.", nameof(data));
        return new EmbeddingTable(ids, values.ToArray(), dimension);
    }

    /// <summary>An exact top-K index over the rows, stored at <paramref name="precision"/> (the caller disposes it).</summary>
    public GalleryIndex ToIndex(GalleryPrecision precision = GalleryPrecision.Single)
    {
        using var scope = NewDisposeScope();
        return new GalleryIndex(Ids, tensor(Values, [Ids.Count, Dimension]), precision: precision);
    }
}
