using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Data;

/// <summary>
/// A batch of tokenised sentences as a <see cref="Modeling.TextEncoder"/> takes it: ids [B, L] and attention mask
/// [B, L] (both int64, mask 1 = real token), right-padded with the tokenizer's padding id to the longest
/// sentence of the batch. Owns both tensors.
/// </summary>
internal sealed class TokenBatch : IDisposable
{
    private TokenBatch(Tensor ids, Tensor mask)
    {
        Ids = ids;
        Mask = mask;
    }

    /// <summary>Token ids [B, L], int64.</summary>
    public Tensor Ids { get; }

    /// <summary>Attention mask [B, L], int64, 1 for real tokens and 0 for padding.</summary>
    public Tensor Mask { get; }

    /// <summary>Tokenises <paramref name="texts"/> (each truncated to <paramref name="maxLength"/> ids) and pads them.</summary>
    public static TokenBatch Encode(ITextTokenizer tokenizer, IEnumerable<string> texts, int maxLength, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(texts);
        return Pad(texts.Select(text => tokenizer.Encode(text, maxLength)).ToList(), tokenizer.PaddingId, device);
    }

    /// <summary>Pads id sequences on the right to the longest one.</summary>
    /// <exception cref="ArgumentException">No sequences, or an empty one.</exception>
    public static TokenBatch Pad(IReadOnlyList<IReadOnlyList<int>> sequences, int paddingId, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (sequences.Count == 0) throw new ArgumentException("A token batch needs at least one sequence.", nameof(sequences));
        var width = sequences.Max(s => s.Count);
        var ids = new long[sequences.Count * width];
        var mask = new long[ids.Length];
        for (var row = 0; row < sequences.Count; row++)
        {
            var sequence = sequences[row];
            if (sequence.Count == 0) throw new ArgumentException($"Sequence {row} of the batch has no tokens.", nameof(sequences));
            var offset = row * width;
            for (var i = 0; i < width; i++)
            {
                var real = i < sequence.Count;
                ids[offset + i] = real ? sequence[i] : paddingId;
                mask[offset + i] = real ? 1 : 0;
            }
        }
        long[] shape = [sequences.Count, width];
        return new TokenBatch(tensor(ids, shape, device: device), tensor(mask, shape, device: device));
    }

    /// <summary>Disposes both tensors.</summary>
    public void Dispose()
    {
        Ids.Dispose();
        Mask.Dispose();
    }
}
