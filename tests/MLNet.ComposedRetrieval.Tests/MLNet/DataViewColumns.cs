using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.ComposedRetrieval.Tests.Pipeline;

/// <summary>Reads one column of a data view, row by row.</summary>
internal static class DataViewColumns
{
    public static float[][] Vectors(IDataView view, string column) => Read<VBuffer<float>, float[]>(view, column, v => v.DenseValues().ToArray());

    public static string[][] TextVectors(IDataView view, string column) =>
        Read<VBuffer<ReadOnlyMemory<char>>, string[]>(view, column, v => v.DenseValues().Select(s => s.ToString()).ToArray());

    public static string[] Texts(IDataView view, string column) => Read<ReadOnlyMemory<char>, string>(view, column, v => v.ToString());

    private static TOut[] Read<TValue, TOut>(IDataView view, string column, Func<TValue, TOut> convert)
    {
        var col = view.Schema[column];
        var result = new List<TOut>();
        using var cursor = view.GetRowCursor([col]);
        var getter = cursor.GetGetter<TValue>(col);
        TValue value = default!;
        while (cursor.MoveNext())
        {
            getter(ref value);
            result.Add(convert(value));
        }
        return result.ToArray();
    }
}
