using MLNet.ComposedRetrieval.Modeling.Inference;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>One post-LayerNorm BERT-family layer (Hugging Face <c>encoder.layer.N</c>: <c>attention</c>,
/// <c>intermediate</c>, <c>output</c>).</summary>
internal sealed class TransformerLayer : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly TransformerAttention attention;
    private readonly TransformerIntermediate intermediate;
    private readonly TransformerResidualOutput output;
    private readonly TransformerOptions options;

    public TransformerLayer(TransformerOptions options) : base(nameof(TransformerLayer))
    {
        this.options = options;
        attention = new TransformerAttention(options);
        intermediate = new TransformerIntermediate(options);
        output = new TransformerResidualOutput(options.IntermediateSize, options);
        RegisterComponents();
    }

    /// <summary>Token states [B, L, H] and key mask [B, 1, 1, L] (bool) to [B, L, H].</summary>
    public override Tensor forward(Tensor states, Tensor keyMask)
    {
        using var scope = NewDisposeScope();
        var attended = attention.forward(states, keyMask);
        return output.forward(intermediate.forward(attended), attended).MoveToOuterDisposeScope();
    }

    /// <summary>This layer's inference form (<see cref="FoldedTransformerLayer"/>), from its current weights.</summary>
    public FoldedTransformerLayer ToInference() => new(attention.Self, attention.Output, intermediate.Dense, output, options);
}
