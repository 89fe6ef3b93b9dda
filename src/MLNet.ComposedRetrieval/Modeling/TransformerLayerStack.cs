using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>The layers of a BERT-family encoder, applied in order (Hugging Face <c>encoder</c>, whose list is
/// named <c>layer</c>).</summary>
internal sealed class TransformerLayerStack : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly ModuleList<TransformerLayer> layer;

    public TransformerLayerStack(TransformerOptions options) : base(nameof(TransformerLayerStack))
    {
        layer = new ModuleList<TransformerLayer>(
            Enumerable.Range(0, options.LayerCount).Select(_ => new TransformerLayer(options)).ToArray());
        RegisterComponents();
    }

    /// <summary>The layers, in order.</summary>
    internal IEnumerable<TransformerLayer> Layers => layer;

    /// <summary>Embedded tokens [B, L, H] and key mask [B, 1, 1, L] (bool) to the last hidden states [B, L, H].</summary>
    public override Tensor forward(Tensor states, Tensor keyMask)
    {
        using var scope = NewDisposeScope();
        foreach (var transformerLayer in layer)
            states = transformerLayer.forward(states, keyMask);
        return states.MoveToOuterDisposeScope();
    }
}
