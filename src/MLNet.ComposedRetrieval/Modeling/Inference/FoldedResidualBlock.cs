using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling.Inference;

/// <summary>
/// A ResNet block (<see cref="ResNetBasicBlock"/> or <see cref="ResNetBottleneck"/>) with its batch norms folded:
/// relu(main(x) + shortcut(x)), main = the folded convolutions with a ReLU between each, shortcut = the folded
/// downsample or the identity. Inference only (see <see cref="FoldedResNet"/>).
/// </summary>
internal sealed class FoldedResidualBlock : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<FoldedConvolution> main;
    private readonly FoldedConvolution? downsample;

    public FoldedResidualBlock(IReadOnlyList<FoldedConvolution> main, FoldedConvolution? downsample) : base(nameof(FoldedResidualBlock))
    {
        if (main.Count == 0) throw new ArgumentException("A residual block needs at least one convolution.", nameof(main));
        this.main = nn.ModuleList(main.ToArray());
        this.downsample = downsample;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input;
        for (int i = 0; i < main.Count - 1; i++) x = main[i].forward(x).relu_();
        x = main[^1].forward(x);
        return x.add_(downsample is null ? input : downsample.forward(input)).relu_().MoveToOuterDisposeScope();
    }
}
