using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// A lazy data view: the input's rows plus the columns of a <see cref="BatchedRowMapper"/>, computed a batch at a time
/// as the rows are read, never materialising the input.
/// </summary>
/// <remarks>
/// A cursor reads the input twice, in step: a leading input cursor with only the mapper's dependencies active reads a
/// batch ahead and computes it; a following input cursor, one row at a time, serves every passed-through column and
/// the row id. So passed-through values are always those of the current row, whatever their type, with no copy.
/// ML.NET data views are repeatable (two cursors without shuffling see the same rows in the same order), which this
/// relies on; a view that breaks that gets a clear error. Rows are not shuffled.
/// </remarks>
internal sealed class BatchedDataView : IDataView
{
    private readonly IDataView _input;
    private readonly BatchedRowMapper _mapper;

    public BatchedDataView(IDataView input, BatchedRowMapper mapper)
    {
        _input = input;
        _mapper = mapper;
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema => _mapper.OutputSchema;

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        int inputCount = _input.Schema.Count;
        var needed = columnsNeeded.Select(c => c.Index).ToHashSet();
        var passThrough = needed.Where(i => i < inputCount).Select(i => _input.Schema[i]).ToList();
        var computed = new bool[_mapper.OutputColumns.Count];
        foreach (var i in needed.Where(i => i >= inputCount)) computed[i - inputCount] = true;

        var follower = _input.GetRowCursor(passThrough);
        var leader = computed.Any(c => c) ? _input.GetRowCursor(_mapper.Dependencies) : null;
        return new Cursor(this, follower, leader, computed);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly BatchedDataView _view;
        private readonly DataViewRowCursor _follower;
        private readonly DataViewRowCursor? _leader;
        private readonly bool[] _computed;
        private readonly BatchState? _batch;
        private readonly RowInBatch _row = new();
        private readonly int _inputCount;
        private int _batchCount;
        private long _position = -1;
        private bool _disposed;

        public Cursor(BatchedDataView view, DataViewRowCursor follower, DataViewRowCursor? leader, bool[] computed)
        {
            _view = view;
            _follower = follower;
            _leader = leader;
            _computed = computed;
            _inputCount = view._input.Schema.Count;
            _batch = leader is null ? null : view._mapper.CreateState(leader);
        }

        public override DataViewSchema Schema => _view.Schema;

        public override long Position => _position;

        public override long Batch => 0;

        public override bool MoveNext()
        {
            if (_disposed || !_follower.MoveNext()) return false;
            _position++;
            if (_batch is not null && ++_row.Index >= _batchCount) ReadNextBatch();
            return true;
        }

        private void ReadNextBatch()
        {
            _batch!.Clear();
            while (_batch.Count < _view._mapper.BatchSize && _leader!.MoveNext()) _batch.ReadCurrentRow();
            if (_batch.Count == 0)
                throw new InvalidOperationException(
                    $"The input data view gave a second cursor fewer rows than the first (row {_position} is missing): " +
                    "it is not repeatable, which ML.NET data views must be. Cache it first (mlContext.Data.Cache).");
            _batch.Compute();
            _batchCount = _batch.Count;
            _row.Index = 0;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index < _inputCount) return _follower.GetGetter<TValue>(_view._input.Schema[column.Index]);
            if (!IsColumnActive(column))
                throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor; request it when creating the cursor.");
            return _batch!.GetGetter<TValue>(column.Index - _inputCount, _row);
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => _follower.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index < _inputCount
                ? _follower.IsColumnActive(_view._input.Schema[column.Index])
                : column.Index - _inputCount < _computed.Length && _computed[column.Index - _inputCount];

        protected override void Dispose(bool disposing)
        {
            if (_disposed) return;
            _disposed = true;
            if (disposing)
            {
                _follower.Dispose();
                _leader?.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
