using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling.Inference;

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

    /// <summary>Copies the weights of one <see cref="TransformerLayer"/> (its <see cref="TransformerLayer.ToInference"/> passes its parts).</summary>
    public FoldedTransformerLayer(TransformerSelfAttention self, TransformerResidualOutput attentionOutput, Linear intermediate,
        TransformerResidualOutput output, TransformerOptions options) : base(nameof(FoldedTransformerLayer))
    {
        heads = options.HeadCount;
        layerNormEpsilon = options.LayerNormEpsilon;
        using var noGrad = no_grad();
        static Tensor Transposed(Linear linear) => linear.weight!.t().contiguous();
        static Tensor Copy(Tensor? source) => source!.clone();

        attentionInWeight = cat([self.Query.weight!, self.Key.weight!, self.Value.weight!], 0).t().contiguous();
        attentionInBias = cat([self.Query.bias!, self.Key.bias!, self.Value.bias!], 0);
        attentionOutWeight = Transposed(attentionOutput.Dense);
        attentionOutBias = Copy(attentionOutput.Dense.bias);
        attentionNormWeight = Copy(attentionOutput.Norm.weight);
        attentionNormBias = Copy(attentionOutput.Norm.bias);
        intermediateWeight = Transposed(intermediate);
        intermediateBias = Copy(intermediate.bias);
        outputWeight = Transposed(output.Dense);
        outputBias = Copy(output.Dense.bias);
        outputNormWeight = Copy(output.Norm.weight);
        outputNormBias = Copy(output.Norm.bias);
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
