using MLNet.ComposedRetrieval.Modeling.Inference;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>torchvision's <c>BasicBlock</c>: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), the stride on conv1.
/// Field names are torchvision's, so parameter names match its state dicts.</summary>
internal sealed class ResNetBasicBlock : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Sequential? downsample;

    public ResNetBasicBlock(long inChannels, long width, long stride) : base(nameof(ResNetBasicBlock))
    {
        conv1 = Conv2d(inChannels, width, 3, stride: stride, padding: 1, bias: false);
        bn1 = BatchNorm2d(width);
        conv2 = Conv2d(width, width, 3, padding: 1, bias: false);
        bn2 = BatchNorm2d(width);
        downsample = ResNetBackbone.Shortcut(inChannels, width, stride);
        RegisterComponents();
    }

    /// <summary>This block with its batch norms folded into the convolutions (see <see cref="ResNetBackbone.ToInference"/>).</summary>
    public FoldedResidualBlock ToInference() =>
        new([FoldedConvolution.Fold(conv1, bn1), FoldedConvolution.Fold(conv2, bn2)], ResNetBackbone.FoldShortcut(downsample));

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var main = bn2.forward(conv2.forward(bn1.forward(conv1.forward(input)).relu_()));
        var shortcut = downsample is null ? input : downsample.forward(input);
        return main.add_(shortcut).relu_().MoveToOuterDisposeScope();
    }
}
