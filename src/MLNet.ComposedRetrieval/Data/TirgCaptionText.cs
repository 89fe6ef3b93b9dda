namespace MLNet.ComposedRetrieval.Data;

/// <summary>
/// The caption handling of TIRG's Fashion200k loader (Vo et al., CVPR 2019), which the paper's code keeps: the
/// caption clean-up, Python-style word splitting, and the "replace &lt;old&gt; with &lt;new&gt;" text made from
/// two captions that differ in one word. The title-edit protocol of the tests' catalogue triplet builder uses the
/// same text.
/// </summary>
internal static class TirgCaptionText
{
    /// <summary>
    /// TIRG's <c>caption_post_process</c>: trims, then spells out '.', '?', '&amp;' and '*' as the words "dotmark",
    /// "questionmark", "andmark" and "starmark" (its word-level vocabulary had no punctuation). The paper's code
    /// applies the same to FashionIQ's joined captions.
    /// </summary>
    public static string PostProcess(string caption)
    {
        ArgumentNullException.ThrowIfNull(caption);
        return caption.Trim()
            .Replace(".", "dotmark", StringComparison.Ordinal)
            .Replace("?", "questionmark", StringComparison.Ordinal)
            .Replace("&", "andmark", StringComparison.Ordinal)
            .Replace("*", "starmark", StringComparison.Ordinal);
    }

    /// <summary>The words of <paramref name="text"/> as Python's <c>str.split()</c> gives them (runs of white space separate).</summary>
    public static string[] Words(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The modification text for changing <paramref name="oldWord"/> into <paramref name="newWord"/>.</summary>
    public static string Replacement(string oldWord, string newWord) => $"replace {oldWord} with {newWord}";

    /// <summary>
    /// TIRG's <c>get_different_word</c>: the first source word absent from the target, and the first target word
    /// absent from the source. Like the Python loop it copies, a side with no such word yields its last word
    /// (this happens only for captions with the same words, which TIRG's queries avoid).
    /// </summary>
    public static (string SourceWord, string TargetWord) DifferentWords(string sourceCaption, string targetCaption)
    {
        var source = Words(sourceCaption);
        var target = Words(targetCaption);
        if (source.Length == 0 || target.Length == 0)
        {
            throw new ArgumentException(
                $"Cannot make a modification text between \"{sourceCaption}\" and \"{targetCaption}\": a caption has no words.");
        }
        return (FirstAbsent(source, target), FirstAbsent(target, source));
    }

    /// <summary>The TIRG modification text between two captions ("replace &lt;source word&gt; with &lt;target word&gt;").</summary>
    public static string ModificationText(string sourceCaption, string targetCaption)
    {
        var (sourceWord, targetWord) = DifferentWords(sourceCaption, targetCaption);
        return Replacement(sourceWord, targetWord);
    }

    private static string FirstAbsent(string[] words, string[] others)
    {
        foreach (var word in words)
        {
            if (Array.IndexOf(others, word) < 0) return word;
        }
        return words[^1];
    }
}
