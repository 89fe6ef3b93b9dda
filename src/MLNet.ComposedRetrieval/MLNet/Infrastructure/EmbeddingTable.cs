using Microsoft.ML;
using Microsoft.ML.Data;
using System.Diagnostics;
using MLNet.ComposedRetrieval.Retrieval;
using MLNet.ComposedRetrieval.Training;
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
    /// <param name="progress">Rows read so far (a lazily embedded gallery is embedded while it is read), every
    /// <paramref name="reportEvery"/> rows and at the end; the total is counted first.</param>
    /// <param name="reportEvery">How many rows between reports: the batch that embeds them.</param>
    public static EmbeddingTable Read(IDataView data, string idColumnName, string embeddingColumnName,
        IProgress<WorkProgress>? progress = null, int reportEvery = 1)
    {
        const string stage = "gallery embeddings";
        var total = progress is null ? 0 : data.GetRowCount() ?? CountRows(data);
        var clock = Stopwatch.StartNew();
        var ids = new List<string>();
        var values = new List<float>();
        var dimension = 0;
        foreach (var item in data.ReadGalleryItems(idColumnName, embeddingColumnName))
        {
            ids.Add(item.Id);
            values.AddRange(item.Embedding.Span);
            dimension = item.Embedding.Length;
            if (progress is not null && ids.Count % Math.Max(1, reportEvery) == 0 && ids.Count < total)
                progress.Report(new WorkProgress(stage, ids.Count, total, clock.Elapsed));
        }
        if (ids.Count == 0) throw new ArgumentException("The gallery has no rows.", nameof(data));
        progress?.Report(new WorkProgress(stage, ids.Count, Math.Max(total, ids.Count), clock.Elapsed));
        return new EmbeddingTable(ids, values.ToArray(), dimension);
    }

    /// <summary>The rows of <paramref name="data"/>, counted with no column active (nothing is embedded).</summary>
    private static long CountRows(IDataView data)
    {
        long count = 0;
        using var cursor = data.GetRowCursor([]);
        while (cursor.MoveNext()) count++;
        return count;
    }

    /// <summary>An exact top-K index over the rows, stored at <paramref name="precision"/> (the caller disposes it).</summary>
    public GalleryIndex ToIndex(GalleryPrecision precision = GalleryPrecision.Single)
    {
        using var scope = NewDisposeScope();
        return new GalleryIndex(Ids, tensor(Values, [Ids.Count, Dimension]), precision: precision);
    }
}
