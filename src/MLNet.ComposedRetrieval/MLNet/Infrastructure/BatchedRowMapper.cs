using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// Adds computed columns to the rows of an input schema, computing them a batch of rows at a time (one network call
/// per batch). <see cref="BatchedDataView"/> runs it lazily over a data view; <see cref="BatchedRowToRowMapper"/> runs it
/// one row at a time for ML.NET's prediction engine.
/// </summary>
internal abstract class BatchedRowMapper
{
    private DataViewSchema? _outputSchema;

    protected BatchedRowMapper(DataViewSchema inputSchema, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        InputSchema = inputSchema;
        BatchSize = batchSize;
    }

    public DataViewSchema InputSchema { get; }

    /// <summary>Rows computed per batch.</summary>
    public int BatchSize { get; }

    /// <summary>The computed columns, appended after the input's (hiding input columns of the same name).</summary>
    public abstract IReadOnlyList<(string Name, DataViewType Type)> OutputColumns { get; }

    /// <summary>The input columns the computed ones are made from.</summary>
    public abstract IReadOnlyList<DataViewSchema.Column> Dependencies { get; }

    /// <summary>The input columns followed by the computed ones.</summary>
    public DataViewSchema OutputSchema => _outputSchema ??= BuildOutputSchema();

    /// <summary>Per-cursor state reading rows of <paramref name="source"/> (which has the <see cref="Dependencies"/> active).</summary>
    public abstract BatchState CreateState(DataViewRow source);

    private DataViewSchema BuildOutputSchema()
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(InputSchema);
        foreach (var (name, type) in OutputColumns) builder.AddColumn(name, type);
        return builder.ToSchema();
    }
}

/// <summary>The rows of one batch and their computed values; not thread-safe (one per cursor).</summary>
internal abstract class BatchState
{
    /// <summary>Rows read since the last <see cref="Clear"/>.</summary>
    public int Count { get; protected set; }

    /// <summary>Appends the source's current row to the batch.</summary>
    public abstract void ReadCurrentRow();

    /// <summary>Computes the outputs of the rows read.</summary>
    public abstract void Compute();

    /// <summary>Forgets the rows read (buffers are kept for the next batch).</summary>
    public abstract void Clear();

    /// <summary>A getter of computed column <paramref name="output"/> (0-based among the computed ones) at the row
    /// <paramref name="position"/> points to.</summary>
    public abstract ValueGetter<T> GetGetter<T>(int output, RowInBatch position);

    /// <summary>Checks the requested value type, as ML.NET's cursors do.</summary>
    protected static ValueGetter<T> Typed<T, TActual>(ValueGetter<TActual> getter, string columnName)
    {
        if (getter is ValueGetter<T> typed) return typed;
        throw new InvalidOperationException(
            $"Invalid TValue in GetGetter for column '{columnName}': expected {typeof(TActual).Name}, got {typeof(T).Name}.");
    }
}

/// <summary>Which row of the current batch a cursor is on.</summary>
internal sealed class RowInBatch
{
    public int Index;
}
