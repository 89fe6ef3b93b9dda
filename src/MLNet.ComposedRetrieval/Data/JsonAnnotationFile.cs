using System.Text.Json;

namespace MLNet.ComposedRetrieval.Data;

/// <summary>
/// Reads annotation files that are one JSON array (FashionIQ captions and image splits, Shoes relative captions),
/// keeping the line each entry starts on so that a bad entry can be blamed precisely. Invalid JSON and a root
/// that is not an array become <see cref="AnnotationFormatException"/>s.
/// </summary>
internal static class JsonAnnotationFile
{
    /// <summary>The entries of the array in <paramref name="path"/>, in file order.</summary>
    public static IReadOnlyList<JsonAnnotationEntry> ReadArray(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Annotation file not found: {path}", path);
        ReadOnlySpan<byte> bytes = File.ReadAllBytes(path);
        if (bytes.StartsWith("\uFEFF"u8)) bytes = bytes[3..];

        var entries = new List<JsonAnnotationEntry>();
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        var line = 1;
        var counted = 0;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
                throw new AnnotationFormatException(path, 1, $"expected a JSON array, found {Describe(reader)}.");
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                var start = (int)reader.TokenStartIndex;
                line += bytes[counted..start].Count((byte)'\n');
                counted = start;
                entries.Add(new JsonAnnotationEntry(path, entries.Count, line, JsonElement.ParseValue(ref reader)));
            }
        }
        catch (JsonException e)
        {
            throw new AnnotationFormatException(path, (int)(e.LineNumber ?? 0) + 1, "invalid JSON: " + e.Message, e);
        }
        return entries;
    }

    private static string Describe(Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.None ? "an empty file" : $"a {reader.TokenType}";
}
