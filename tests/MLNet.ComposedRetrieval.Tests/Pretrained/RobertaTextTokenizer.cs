using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;
using MLNet.ComposedRetrieval.Modeling;

using MLNet.ComposedRetrieval.Pretrained;

namespace MLNet.ComposedRetrieval.Tests.Pretrained;

/// <summary>
/// RoBERTa's byte-level BPE (GPT-2's), over Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/>, from a
/// user-supplied Hugging Face <c>vocab.json</c> and <c>merges.txt</c>; encodings are <c>&lt;s&gt; ... &lt;/s&gt;</c>.
/// Cased, no prefix space (Hugging Face's defaults for roberta-base).
/// </summary>
internal sealed partial class RobertaTextTokenizer : ITextTokenizer
{
    private const string Beginning = "<s>", End = "</s>", Padding = "<pad>", Unknown = "<unk>", Mask = "<mask>";
    private readonly BpeTokenizer tokenizer;

    private RobertaTextTokenizer(BpeTokenizer tokenizer, int beginningId, int endId, int paddingId)
    {
        this.tokenizer = tokenizer;
        BeginningId = beginningId;
        EndId = endId;
        PaddingId = paddingId;
    }

    /// <inheritdoc/>
    public int PaddingId { get; }

    /// <summary>Id of <c>&lt;s&gt;</c>, the first token of every encoding.</summary>
    public int BeginningId { get; }

    /// <summary>Id of <c>&lt;/s&gt;</c>, the last token of every encoding.</summary>
    public int EndId { get; }

    /// <summary>Reads a Hugging Face RoBERTa (or GPT-2 style) byte-level BPE vocabulary.</summary>
    /// <param name="vocabularyPath"><c>vocab.json</c>: token to id; must hold <c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c>, <c>&lt;pad&gt;</c>.</param>
    /// <param name="mergesPath"><c>merges.txt</c>: one merge per line, by priority; a <c>#version</c> header is skipped.</param>
    public static RobertaTextTokenizer FromFiles(string vocabularyPath, string mergesPath)
    {
        var vocabulary = ReadVocabulary(vocabularyPath);
        int Require(string token) => vocabulary.TryGetValue(token, out var id)
            ? id
            : throw new InvalidDataException($"RoBERTa vocabulary '{vocabularyPath}' has no '{token}' token.");
        var (beginning, end, padding) = (Require(Beginning), Require(End), Require(Padding));

        // Added tokens stay whole when they appear in text, as in Hugging Face.
        var special = new[] { Beginning, End, Padding, Unknown, Mask }
            .Where(vocabulary.ContainsKey)
            .ToDictionary(token => token, token => vocabulary[token], StringComparer.Ordinal);
        var merges = File.ReadLines(mergesPath).Where(line => line.Length > 0 && !line.StartsWith("#version", StringComparison.Ordinal));
        try
        {
            return new RobertaTextTokenizer(BpeTokenizer.Create(new BpeOptions(vocabulary)
            {
                Merges = merges,
                ByteLevel = true,
                PreTokenizer = new RegexPreTokenizer(Gpt2Split(), special),
                SpecialTokens = special,
                UnknownToken = special.ContainsKey(Unknown) ? Unknown : null,
            }), beginning, end, padding);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"'{vocabularyPath}' with '{mergesPath}' is not a usable byte-level BPE: {e.Message}", e);
        }
    }

    /// <summary><c>&lt;s&gt;</c>, the BPE tokens of <paramref name="text"/> (the first <c>maxLength - 2</c> if longer),
    /// <c>&lt;/s&gt;</c>.</summary>
    public IReadOnlyList<int> Encode(string text, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        var pieces = tokenizer.EncodeToIds(text);
        var kept = Math.Min(pieces.Count, maxLength - 2);
        var ids = new int[kept + 2];
        ids[0] = BeginningId;
        for (var i = 0; i < kept; i++) ids[i + 1] = pieces[i];
        ids[^1] = EndId;
        return ids;
    }

    private static Dictionary<string, int> ReadVocabulary(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<Dictionary<string, int>>(stream)
                ?? throw new InvalidDataException($"RoBERTa vocabulary '{path}' is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"RoBERTa vocabulary '{path}' is not a JSON object of token to id: {e.Message}", e);
        }
    }

    // GPT-2's pre-tokenisation, which RoBERTa inherits: contractions, letters, digits, other symbols (each with
    // one leading space), and runs of spaces.
    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]
    private static partial Regex Gpt2Split();
}
