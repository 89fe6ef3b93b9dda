using System.Text.Json;

namespace MLNet.ComposedRetrieval.Data;

/// <summary>One entry of a JSON annotation array, with its position for error messages.</summary>
/// <param name="FilePath">The file the entry comes from.</param>
/// <param name="Index">The 0-based position of the entry in the array.</param>
/// <param name="LineNumber">The 1-based line the entry starts on.</param>
/// <param name="Value">The entry itself.</param>
internal readonly record struct JsonAnnotationEntry(string FilePath, int Index, int LineNumber, JsonElement Value)
{
    /// <summary>The entry as a non-empty string (image-split files list ids this way).</summary>
    public string AsString()
    {
        if (Value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(Value.GetString()))
            throw Error($"expected a non-empty string, found {Found(Value)}.");
        return Value.GetString()!;
    }

    /// <summary>The non-empty string property <paramref name="name"/> of this object entry.</summary>
    public string RequiredString(string name)
    {
        var property = Property(name);
        if (property is not { ValueKind: JsonValueKind.String } || string.IsNullOrWhiteSpace(property.Value.GetString()))
            throw Error($"expected a non-empty string property \"{name}\", found {Found(property)}.");
        return property.Value.GetString()!;
    }

    /// <summary>The string property <paramref name="name"/>, or null when the object has no such property.</summary>
    public string? OptionalString(string name)
    {
        var property = Property(name);
        if (property is null) return null;
        if (property.Value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(property.Value.GetString()))
            throw Error($"expected the property \"{name}\" to be a non-empty string, found {Found(property)}.");
        return property.Value.GetString();
    }

    /// <summary>The string-array property <paramref name="name"/> (strings may be empty).</summary>
    public IReadOnlyList<string> RequiredStringArray(string name)
    {
        var property = Property(name);
        if (property is not { ValueKind: JsonValueKind.Array } ||
            property.Value.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
        {
            throw Error($"expected a property \"{name}\" holding an array of strings, found {Found(property)}.");
        }
        return property.Value.EnumerateArray().Select(e => e.GetString()!).ToArray();
    }

    /// <summary>An exception that blames this entry.</summary>
    public AnnotationFormatException Error(string problem) => new(FilePath, LineNumber, $"entry {Index}: {problem}");

    private JsonElement? Property(string name)
    {
        if (Value.ValueKind != JsonValueKind.Object)
            throw Error($"expected an object with the property \"{name}\", found {Found(Value)}.");
        return Value.TryGetProperty(name, out var property) ? property : null;
    }

    private static string Found(JsonElement? element) => element switch
    {
        null => "no such property",
        { ValueKind: JsonValueKind.String } e => $"\"{e.GetString()}\"",
        { } e => $"{e.ValueKind.ToString().ToLowerInvariant()} {Shorten(e.GetRawText())}",
    };

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
