using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// A <see cref="BatchedRowMapper"/> as ML.NET's <see cref="IRowToRowMapper"/>, one row at a time: what
/// <c>mlContext.Model.CreatePredictionEngine</c> uses. The computed values of a row are computed once, when first read.
/// </summary>
internal sealed class BatchedRowToRowMapper(BatchedRowMapper mapper) : IRowToRowMapper
{
    public DataViewSchema InputSchema => mapper.InputSchema;

    public DataViewSchema OutputSchema => mapper.OutputSchema;

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        int inputCount = InputSchema.Count;
        var needed = new HashSet<int>();
        foreach (var column in dependingColumns)
        {
            if (column.Index < inputCount) needed.Add(column.Index);
            else foreach (var dependency in mapper.Dependencies) needed.Add(dependency.Index);
        }
        return needed.Order().Select(i => InputSchema[i]).ToList();
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        ArgumentNullException.ThrowIfNull(input);
        var active = activeColumns.Select(c => c.Index).ToHashSet();
        return new Row(this, input, active);
    }

    private sealed class Row : DataViewRow
    {
        private readonly BatchedRowToRowMapper _owner;
        private readonly DataViewRow _input;
        private readonly HashSet<int> _active;
        private readonly RowInBatch _first = new();
        private BatchState? _state;
        private long _computedPosition = -1;

        public Row(BatchedRowToRowMapper owner, DataViewRow input, HashSet<int> active)
        {
            _owner = owner;
            _input = input;
            _active = active;
        }

        public override DataViewSchema Schema => _owner.OutputSchema;

        public override long Position => _input.Position;

        public override long Batch => _input.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index < _owner.InputSchema.Count ? _input.IsColumnActive(_owner.InputSchema[column.Index]) : _active.Contains(column.Index);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            int inputCount = _owner.InputSchema.Count;
            if (column.Index < inputCount) return _input.GetGetter<TValue>(_owner.InputSchema[column.Index]);
            if (!_active.Contains(column.Index))
                throw new InvalidOperationException($"Column '{column.Name}' is not active in this row.");
            _state ??= _owner.GetState(_input);
            var getter = _state.GetGetter<TValue>(column.Index - inputCount, _first);
            return (ref TValue value) =>
            {
                EnsureComputed();
                getter(ref value);
            };
        }

        private void EnsureComputed()
        {
            if (_computedPosition == _input.Position && _input.Position >= 0) return;
            _state!.Clear();
            _state.ReadCurrentRow();
            _state.Compute();
            _computedPosition = _input.Position;
        }
    }

    private BatchState GetState(DataViewRow input) => mapper.CreateState(input);
}
