using System.Text.Json;
using System.Text.RegularExpressions;

namespace MLNet.ComposedRetrieval.Tests.Pretrained;

/// <summary>
/// A few dozen real FashionIQ captions chosen to stress a tokenizer: every non-ASCII one (all splits), and the
/// first few validation captions with digits, with punctuation, with words the vocabulary lacks whole (typos,
/// rare words), and the longest.
/// </summary>
internal static partial class FashionIqCaptionSample
{
    public static IReadOnlyList<string> Load(string captionsFolder, IReadOnlySet<string> vocabulary)
    {
        List<string> Read(string pattern) => Directory.GetFiles(captionsFolder, pattern).Order(StringComparer.Ordinal)
            .SelectMany(ReadCaptions)
            .Where(c => !string.IsNullOrWhiteSpace(c))
            .ToList();
        var all = Read("cap.*.json");
        var validation = Read("cap.*.val.json");

        bool HasUnknownWord(string caption) =>
            Word().Matches(caption.ToLowerInvariant()).Any(m => !vocabulary.Contains(m.Value));

        var chosen = new List<string>();
        chosen.AddRange(all.Where(c => c.Any(ch => ch > 127)));
        chosen.AddRange(validation.Where(c => c.Any(char.IsDigit)).Take(8));
        chosen.AddRange(validation.Where(c => Punctuation().Matches(c).Count >= 2).Take(8));
        chosen.AddRange(validation.Where(HasUnknownWord).Take(8));
        chosen.AddRange(validation.OrderByDescending(c => c.Length).ThenBy(c => c, StringComparer.Ordinal).Take(6));
        return chosen.Distinct(StringComparer.Ordinal).ToList();
    }

    private static IEnumerable<string> ReadCaptions(string file)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(file));
        foreach (var pair in document.RootElement.EnumerateArray())
        foreach (var caption in pair.GetProperty("captions").EnumerateArray())
            yield return caption.GetString() ?? "";
    }

    [GeneratedRegex("[a-z]+")]
    private static partial Regex Word();

    [GeneratedRegex(@"[^\w\s]")]
    private static partial Regex Punctuation();
}
