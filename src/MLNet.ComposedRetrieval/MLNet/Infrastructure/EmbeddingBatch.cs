using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// A batch whose one computed column is an embedding (a Single vector of fixed width): rows are read into the
/// subclass's buffers, <see cref="Compute"/> fills one float buffer reused batch after batch, and the getter copies
/// a row into the caller's <see cref="VBuffer{T}"/>, reusing its memory.
/// </summary>
internal abstract class EmbeddingBatch : BatchState
{
    private readonly string _columnName;
    private readonly int _dimension;
    private readonly float[] _values;

    protected EmbeddingBatch(string columnName, int dimension, int batchSize)
    {
        _columnName = columnName;
        _dimension = dimension;
        _values = new float[dimension * batchSize];
    }

    public sealed override void Compute() => ComputeInto(_values.AsSpan(0, Count * _dimension));

    /// <summary>Writes the embeddings of the <see cref="BatchState.Count"/> rows read, row after row.</summary>
    protected abstract void ComputeInto(Span<float> destination);

    public sealed override ValueGetter<T> GetGetter<T>(int output, RowInBatch position)
    {
        ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> value) =>
        {
            var editor = VBufferEditor.Create(ref value, _dimension);
            _values.AsSpan(position.Index * _dimension, _dimension).CopyTo(editor.Values);
            value = editor.Commit();
        };
        return Typed<T, VBuffer<float>>(getter, _columnName);
    }
}
