using static TorchSharp.torch;
using MLNet.ComposedRetrieval.Modeling;

namespace MLNet.ComposedRetrieval.Data;

/// <summary>
/// Turns a batch of sentences into the padded tensors a <see cref="Modeling.TextEncoder"/> takes: ids [B, L] and
/// attention mask [B, L] (both int64, mask 1 = real token), L the longest encoded sentence (at least 1).
/// </summary>
internal static class TokenBatch
{
    /// <summary>Encodes <paramref name="texts"/> with <paramref name="tokenizer"/>, each truncated to <paramref name="maxLength"/> tokens.</summary>
    public static (Tensor Ids, Tensor Mask) Encode(ITextTokenizer tokenizer, IReadOnlyList<string> texts, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count == 0) throw new ArgumentException("A token batch needs at least one sentence.", nameof(texts));

        var encoded = texts.Select(text => tokenizer.Encode(text, maxLength)).ToList();
        var length = Math.Max(1, encoded.Max(tokens => tokens.Count));
        var ids = new long[texts.Count * length];
        var mask = new long[texts.Count * length];
        Array.Fill(ids, tokenizer.PaddingId);
        for (var row = 0; row < encoded.Count; row++)
            for (var column = 0; column < encoded[row].Count; column++)
            {
                ids[row * length + column] = encoded[row][column];
                mask[row * length + column] = 1;
            }
        return (tensor(ids, [texts.Count, length]), tensor(mask, [texts.Count, length]));
    }
}
