using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>
/// Multi-head scaled dot-product self-attention of a BERT-family layer (Hugging Face <c>attention.self</c>:
/// <c>query</c>, <c>key</c>, <c>value</c>). Padding keys are masked out; the result is the heads concatenated,
/// before the output projection.
/// </summary>
internal sealed class TransformerSelfAttention : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly int headCount;
    private readonly double dropout;

    public TransformerSelfAttention(TransformerOptions options) : base(nameof(TransformerSelfAttention))
    {
        headCount = options.HeadCount;
        dropout = options.Dropout;
        query = nn.Linear(options.HiddenSize, options.HiddenSize);
        key = nn.Linear(options.HiddenSize, options.HiddenSize);
        value = nn.Linear(options.HiddenSize, options.HiddenSize);
        RegisterComponents();
    }

    /// <summary>The query, key and value projections (read by <see cref="Inference.FoldedTransformerLayer"/>).</summary>
    internal Linear Query => query;
    internal Linear Key => key;
    internal Linear Value => value;

    /// <summary>Token states [B, L, H] and key mask [B, 1, 1, L] (bool, true = attend) to [B, L, H].</summary>
    public override Tensor forward(Tensor states, Tensor keyMask)
    {
        using var scope = NewDisposeScope();
        var (batch, length, hidden) = (states.shape[0], states.shape[1], states.shape[2]);
        Tensor Heads(Linear projection) =>
            projection.forward(states).view(batch, length, headCount, hidden / headCount).transpose(1, 2);

        // softmax(Q K^T / sqrt(d)) V, with dropout on the probabilities while training, as in BERT.
        var attended = nn.functional.scaled_dot_product_attention(
            Heads(query), Heads(key), Heads(value), keyMask, training ? dropout : 0.0);
        return attended.transpose(1, 2).reshape(batch, length, hidden).MoveToOuterDisposeScope();
    }
}
