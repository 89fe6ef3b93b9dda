using Microsoft.ML.Tokenizers;
using MLNet.ComposedRetrieval.Modeling;

namespace MLNet.ComposedRetrieval.Pretrained;

/// <summary>
/// WordPiece tokenisation for BERT-family encoders (MiniLM), over Microsoft.ML.Tokenizers' <see cref="BertTokenizer"/>:
/// Hugging Face's uncased BERT normalisation (lower case, accents stripped, punctuation and CJK characters split),
/// then <c>[CLS] ... [SEP]</c>.
/// </summary>
internal sealed class BertTextTokenizer : ITextTokenizer
{
    private readonly BertTokenizer tokenizer;

    private BertTextTokenizer(BertTokenizer tokenizer) => this.tokenizer = tokenizer;

    /// <summary>Reads a <c>vocab.txt</c> (one token per line, line number = id).</summary>
    /// <param name="vocabulary">The vocabulary; read to the end, not disposed.</param>
    /// <param name="source">Where the vocabulary came from, for error messages.</param>
    /// <param name="lowerCase">True for uncased models: lower-cases and strips accents, as Hugging Face does
    /// when <c>do_lower_case</c> is set and <c>strip_accents</c> is unset.</param>
    public static BertTextTokenizer FromVocabulary(Stream vocabulary, string source, bool lowerCase = true)
    {
        try
        {
            return new BertTextTokenizer(BertTokenizer.Create(vocabulary, new BertOptions
            {
                LowerCaseBeforeTokenization = lowerCase,
                RemoveNonSpacingMarks = lowerCase,
            }));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"'{source}' is not a usable BERT vocabulary: {e.Message}", e);
        }
    }

    /// <inheritdoc/>
    public int PaddingId => tokenizer.PaddingTokenId;

    /// <summary>Id of <c>[CLS]</c>, the first token of every encoding.</summary>
    public int ClassificationId => tokenizer.ClassificationTokenId;

    /// <summary>Id of <c>[SEP]</c>, the last token of every encoding.</summary>
    public int SeparatorId => tokenizer.SeparatorTokenId;

    /// <summary><c>[CLS]</c>, the word pieces of <paramref name="text"/> (the first <c>maxLength - 2</c> if longer,
    /// as Hugging Face truncates), <c>[SEP]</c>.</summary>
    public IReadOnlyList<int> Encode(string text, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        var pieces = tokenizer.EncodeToIds(text, addSpecialTokens: false, considerPreTokenization: true, considerNormalization: true);
        var kept = Math.Min(pieces.Count, maxLength - 2);
        var ids = new int[kept + 2];
        ids[0] = ClassificationId;
        for (var i = 0; i < kept; i++) ids[i + 1] = pieces[i];
        ids[^1] = SeparatorId;
        return ids;
    }
}
