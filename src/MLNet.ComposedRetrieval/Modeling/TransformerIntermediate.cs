using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>The widening feed-forward step of a BERT-family layer (Hugging Face <c>intermediate</c>: <c>dense</c>,
/// then the exact, erf-based GELU).</summary>
internal sealed class TransformerIntermediate : nn.Module<Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly GELU activation;

    public TransformerIntermediate(TransformerOptions options) : base(nameof(TransformerIntermediate))
    {
        dense = nn.Linear(options.HiddenSize, options.IntermediateSize);
        activation = nn.GELU(); // erf form, not the tanh approximation: what BERT's "gelu" means.
        RegisterComponents();
    }

    /// <summary>The widening projection (read by <see cref="Inference.FoldedTransformerLayer"/>).</summary>
    internal Linear Dense => dense;

    /// <summary>[B, L, H] to [B, L, IntermediateSize].</summary>
    public override Tensor forward(Tensor states)
    {
        using var scope = NewDisposeScope();
        return activation.forward(dense.forward(states)).MoveToOuterDisposeScope();
    }
}
