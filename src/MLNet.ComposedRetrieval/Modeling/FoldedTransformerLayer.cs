using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>
/// One <see cref="TransformerLayer"/> in evaluation mode for inference (part of a <see cref="FoldedTransformerEncoder"/>):
/// the query, key and value projections are one matrix product, and every weight is stored transposed, [in, out], so
/// each projection is a plain <c>addmm</c> on the [B·L, H] token rows (at a few tokens, this layout streams the weights
/// faster than Linear's [out, in]). Dropout is gone (evaluation mode). A snapshot of the weights.
/// </summary>
internal sealed class FoldedTransformerLayer : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly int heads;
    private readonly double layerNormEpsilon;
    private readonly Tensor attentionInWeight;    // [H, 3H]: query | key | value
    private readonly Tensor attentionInBias;      // [3H]
    private readonly Tensor attentionOutWeight;   // [H, H]
    private readonly Tensor attentionOutBias;
    private readonly Tensor attentionNormWeight;
    private readonly Tensor attentionNormBias;
    private readonly Tensor intermediateWeight;   // [H, I]
    private readonly Tensor intermediateBias;
    private readonly Tensor outputWeight;         // [I, H]
    private readonly Tensor outputBias;
    private readonly Tensor outputNormWeight;
    private readonly Tensor outputNormBias;

    /// <param name="parameters">The layer's parameters by their Hugging Face names under <c>encoder.layer.N.</c>
    /// (<c>attention.self.query.weight</c>, ...); copied, not shared.</param>
    /// <param name="options">The encoder's options (heads, LayerNorm ε).</param>
    public FoldedTransformerLayer(IReadOnlyDictionary<string, Tensor> parameters, TransformerOptions options) : base(nameof(FoldedTransformerLayer))
    {
        heads = options.HeadCount;
        layerNormEpsilon = options.LayerNormEpsilon;
        using var noGrad = no_grad();
        Tensor Get(string name) => parameters.TryGetValue(name, out var value)
            ? value
            : throw new ArgumentException($"The transformer layer has no parameter '{name}'.", nameof(parameters));
        Tensor Transposed(string name) => Get(name + ".weight").t().contiguous();
        Tensor Copy(string name) => Get(name).clone();

        attentionInWeight = cat([Get("attention.self.query.weight"), Get("attention.self.key.weight"), Get("attention.self.value.weight")], 0).t().contiguous();
        attentionInBias = cat([Get("attention.self.query.bias"), Get("attention.self.key.bias"), Get("attention.self.value.bias")], 0);
        attentionOutWeight = Transposed("attention.output.dense");
        attentionOutBias = Copy("attention.output.dense.bias");
        attentionNormWeight = Copy("attention.output.LayerNorm.weight");
        attentionNormBias = Copy("attention.output.LayerNorm.bias");
        intermediateWeight = Transposed("intermediate.dense");
        intermediateBias = Copy("intermediate.dense.bias");
        outputWeight = Transposed("output.dense");
        outputBias = Copy("output.dense.bias");
        outputNormWeight = Copy("output.LayerNorm.weight");
        outputNormBias = Copy("output.LayerNorm.bias");
        RegisterComponents();
        eval();
    }

    /// <summary>Token states as rows [B·L, H] (sequence after sequence) and the key mask
    /// [B, 1, 1, L] (bool) to the layer's output rows [B·L, H].</summary>
    public override Tensor forward(Tensor rows, Tensor keyMask)
    {
        using var scope = NewDisposeScope();
        var (batch, length, hidden) = (keyMask.shape[0], keyMask.shape[3], rows.shape[1]);
        // [B·L, 3H] -> three [B, heads, L, H / heads] views.
        var projected = addmm(attentionInBias, rows, attentionInWeight, 1, 1)
            .view(batch, length, 3, heads, hidden / heads).permute(2, 0, 3, 1, 4);
        var attended = nn.functional.scaled_dot_product_attention(projected[0], projected[1], projected[2], keyMask)
            .transpose(1, 2).reshape(batch * length, hidden);
        var attention = nn.functional.layer_norm(addmm(attentionOutBias, attended, attentionOutWeight, 1, 1).add_(rows),
            [hidden], attentionNormWeight, attentionNormBias, layerNormEpsilon);
        var intermediate = addmm(intermediateBias, attention, intermediateWeight, 1, 1).gelu_();
        return nn.functional.layer_norm(addmm(outputBias, intermediate, outputWeight, 1, 1).add_(attention),
            [hidden], outputNormWeight, outputNormBias, layerNormEpsilon).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">When asked for training mode.</exception>
    public override void train(bool train = true)
    {
        if (train)
            throw new InvalidOperationException("A FoldedTransformerLayer is for inference only; train the TransformerTextEncoder it was made from.");
        base.train(false);
    }
}
