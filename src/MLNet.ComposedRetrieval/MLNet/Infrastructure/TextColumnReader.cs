using Microsoft.ML;

namespace MLNet.ComposedRetrieval;

/// <summary>Reads the current row's String value of one column as a modification text; one per cursor.</summary>
internal sealed class TextColumnReader(DataViewRow row, DataViewSchema.Column column)
{
    private readonly ValueGetter<ReadOnlyMemory<char>> _getter = row.GetGetter<ReadOnlyMemory<char>>(column);
    private ReadOnlyMemory<char> _value;

    /// <summary>The text, line breaks turned into spaces (every tokenizer treats them as spaces anyway, and the
    /// training feature cache keeps one text per line).</summary>
    public string Read()
    {
        _getter(ref _value);
        return Normalize(_value.Span);
    }

    public static string Normalize(ReadOnlySpan<char> text) =>
        text.IndexOfAny('\r', '\n') < 0 ? text.ToString() : text.ToString().Replace('\r', ' ').Replace('\n', ' ');
}
