using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>The attention half of a BERT-family layer (Hugging Face <c>attention</c>: <c>self</c>, <c>output</c>).</summary>
internal sealed class TransformerAttention : nn.Module<Tensor, Tensor, Tensor>
{
    // Field names are Hugging Face's: they become the parameter names.
    private readonly TransformerSelfAttention self;
    private readonly TransformerResidualOutput output;

    public TransformerAttention(TransformerOptions options) : base(nameof(TransformerAttention))
    {
        self = new TransformerSelfAttention(options);
        output = new TransformerResidualOutput(options.HiddenSize, options);
        RegisterComponents();
    }

    /// <summary>The self-attention and its closing step (read by <see cref="Inference.FoldedTransformerLayer"/>).</summary>
    internal TransformerSelfAttention Self => self;
    internal TransformerResidualOutput Output => output;

    /// <summary>Token states [B, L, H] and key mask [B, 1, 1, L] (bool) to [B, L, H].</summary>
    public override Tensor forward(Tensor states, Tensor keyMask)
    {
        using var scope = NewDisposeScope();
        return output.forward(self.forward(states, keyMask), states).MoveToOuterDisposeScope();
    }
}
