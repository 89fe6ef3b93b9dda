using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.ComposedRetrieval.Tests.Pipeline;

/// <summary>Wraps a data view and counts the cursors opened on it and the rows they moved to.</summary>
internal sealed class CountingDataView(IDataView inner) : IDataView
{
    private int _cursors;
    private int _rowsRead;

    public int Cursors => _cursors;

    public int RowsRead => _rowsRead;

    public bool CanShuffle => false;

    public DataViewSchema Schema => inner.Schema;

    public long? GetRowCount() => inner.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        Interlocked.Increment(ref _cursors);
        return new Cursor(this, inner.GetRowCursor(columnsNeeded));
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor(CountingDataView owner, DataViewRowCursor inner) : DataViewRowCursor
    {
        public override DataViewSchema Schema => inner.Schema;
        public override long Position => inner.Position;
        public override long Batch => inner.Batch;

        public override bool MoveNext()
        {
            if (!inner.MoveNext()) return false;
            Interlocked.Increment(ref owner._rowsRead);
            return true;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => inner.GetGetter<TValue>(column);
        public override ValueGetter<DataViewRowId> GetIdGetter() => inner.GetIdGetter();
        public override bool IsColumnActive(DataViewSchema.Column column) => inner.IsColumnActive(column);

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
