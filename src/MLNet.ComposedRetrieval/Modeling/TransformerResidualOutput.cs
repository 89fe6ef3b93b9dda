using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>
/// The "project, dropout, add the sub-layer's input, LayerNorm" step that closes both halves of a BERT-family
/// layer (Hugging Face <c>attention.output</c> and <c>output</c>: <c>dense</c>, <c>LayerNorm</c>).
/// </summary>
internal sealed class TransformerResidualOutput : nn.Module<Tensor, Tensor, Tensor>
{
    // Field names are Hugging Face's: they become the parameter names.
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;

    public TransformerResidualOutput(int inputSize, TransformerOptions options) : base(nameof(TransformerResidualOutput))
    {
        dense = nn.Linear(inputSize, options.HiddenSize);
        LayerNorm = nn.LayerNorm(options.HiddenSize, options.LayerNormEpsilon);
        dropout = nn.Dropout(options.Dropout);
        RegisterComponents();
    }

    /// <summary>The projection and the LayerNorm (read by <see cref="Inference.FoldedTransformerLayer"/>).</summary>
    internal Linear Dense => dense;
    internal LayerNorm Norm => LayerNorm;

    /// <summary>Sub-layer output [B, L, inputSize] and the sub-layer's input [B, L, H] to [B, L, H].</summary>
    public override Tensor forward(Tensor sublayerOutput, Tensor residual)
    {
        using var scope = NewDisposeScope();
        return LayerNorm.forward(dropout.forward(dense.forward(sublayerOutput)) + residual).MoveToOuterDisposeScope();
    }
}
