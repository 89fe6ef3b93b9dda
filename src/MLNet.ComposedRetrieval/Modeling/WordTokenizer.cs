using System.Globalization;
using System.Text.RegularExpressions;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>
/// A lower-case, word-level tokenizer with a vocabulary built from a corpus, for the small text encoder used
/// in tests and the synthetic demo. Words are maximal runs of letters and digits (punctuation separates words
/// and is dropped). Id 0 is <see cref="PaddingToken"/>, id 1 <see cref="UnknownToken"/>; the other words follow
/// by descending corpus frequency, ties in ordinal order, so the same corpus always gives the same ids
/// whatever the order of its sentences. No special tokens are added around a sentence.
/// </summary>
internal sealed partial class WordTokenizer : ITextTokenizer
{
    /// <summary>The padding token, id 0.</summary>
    public const string PaddingToken = "[PAD]";

    /// <summary>The token for words outside the vocabulary, id 1.</summary>
    public const string UnknownToken = "[UNK]";

    private readonly string[] vocabulary;
    private readonly Dictionary<string, int> ids;

    /// <summary>Recreates a tokenizer from a saved vocabulary (as returned by <see cref="Vocabulary"/>).</summary>
    /// <exception cref="ArgumentException">The list does not start with [PAD], [UNK] or has a repeated word.</exception>
    public WordTokenizer(IEnumerable<string> vocabulary)
    {
        this.vocabulary = vocabulary.ToArray();
        if (this.vocabulary.Length < 2 || this.vocabulary[0] != PaddingToken || this.vocabulary[1] != UnknownToken)
            throw new ArgumentException($"A word vocabulary must start with {PaddingToken}, {UnknownToken}.", nameof(vocabulary));
        ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < this.vocabulary.Length; i++)
            if (!ids.TryAdd(this.vocabulary[i], i))
                throw new ArgumentException($"The word vocabulary repeats '{this.vocabulary[i]}' (ids {ids[this.vocabulary[i]]} and {i}).", nameof(vocabulary));
    }

    /// <summary>Builds the vocabulary from <paramref name="corpus"/>.</summary>
    /// <param name="corpus">The sentences to learn words from.</param>
    /// <param name="minimumCount">Words seen fewer times become [UNK].</param>
    /// <param name="maximumVocabularySize">If set, keeps only the most frequent words so the vocabulary (with [PAD], [UNK]) has at most this size.</param>
    public static WordTokenizer Build(IEnumerable<string> corpus, int minimumCount = 1, int? maximumVocabularySize = null)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentOutOfRangeException.ThrowIfLessThan(minimumCount, 1);
        if (maximumVocabularySize is < 2)
            throw new ArgumentOutOfRangeException(nameof(maximumVocabularySize), maximumVocabularySize, "The vocabulary needs room for [PAD] and [UNK].");

        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var sentence in corpus)
            foreach (var word in SplitWords(sentence))
                counts[word] = counts.GetValueOrDefault(word) + 1;

        var words = counts
            .Where(pair => pair.Value >= minimumCount && pair.Key is not (PaddingToken or UnknownToken))
            .OrderByDescending(pair => pair.Value)
            .ThenBy(pair => pair.Key, StringComparer.Ordinal)
            .Select(pair => pair.Key);
        if (maximumVocabularySize is int maximum)
            words = words.Take(maximum - 2);
        return new WordTokenizer(new[] { PaddingToken, UnknownToken }.Concat(words));
    }

    /// <inheritdoc/>
    public int PaddingId => 0;

    /// <summary>The id of [UNK].</summary>
    public int UnknownId => 1;

    /// <summary>The number of ids, [PAD] and [UNK] included.</summary>
    public int VocabularySize => vocabulary.Length;

    /// <summary>The words in id order, starting with [PAD], [UNK]; enough to recreate this tokenizer.</summary>
    public IReadOnlyList<string> Vocabulary => vocabulary;

    /// <inheritdoc/>
    public IReadOnlyList<int> Encode(string text, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        return SplitWords(text).Take(maxLength).Select(word => ids.GetValueOrDefault(word, UnknownId)).ToList();
    }

    /// <summary>The lower-case words of <paramref name="text"/>.</summary>
    public static IEnumerable<string> SplitWords(string text) =>
        WordPattern().Matches(text.ToLower(CultureInfo.InvariantCulture)).Select(match => match.Value);

    [GeneratedRegex(@"[\p{L}\p{N}]+", RegexOptions.CultureInvariant)]
    private static partial Regex WordPattern();
}
