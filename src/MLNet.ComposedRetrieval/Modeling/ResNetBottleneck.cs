using MLNet.ComposedRetrieval.Modeling.Inference;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>torchvision's <c>Bottleneck</c> ("ResNet v1.5", the stride on the 3x3 conv2):
/// relu(bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(x)))))))) + shortcut(x)). Field names are torchvision's.</summary>
internal sealed class ResNetBottleneck : Module<Tensor, Tensor>
{
    public const int Expansion = 4;

    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Conv2d conv3;
    private readonly BatchNorm2d bn3;
    private readonly Sequential? downsample;

    public ResNetBottleneck(long inChannels, long width, long stride) : base(nameof(ResNetBottleneck))
    {
        conv1 = Conv2d(inChannels, width, 1, bias: false);
        bn1 = BatchNorm2d(width);
        conv2 = Conv2d(width, width, 3, stride: stride, padding: 1, bias: false);
        bn2 = BatchNorm2d(width);
        conv3 = Conv2d(width, width * Expansion, 1, bias: false);
        bn3 = BatchNorm2d(width * Expansion);
        downsample = ResNetBackbone.Shortcut(inChannels, width * Expansion, stride);
        RegisterComponents();
    }

    /// <summary>This block with its batch norms folded into the convolutions (see <see cref="ResNetBackbone.ToInference"/>).</summary>
    public FoldedResidualBlock ToInference() =>
        new([FoldedConvolution.Fold(conv1, bn1), FoldedConvolution.Fold(conv2, bn2), FoldedConvolution.Fold(conv3, bn3)],
            ResNetBackbone.FoldShortcut(downsample));

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = bn1.forward(conv1.forward(input)).relu_();
        x = bn2.forward(conv2.forward(x)).relu_();
        x = bn3.forward(conv3.forward(x));
        var shortcut = downsample is null ? input : downsample.forward(input);
        return x.add_(shortcut).relu_().MoveToOuterDisposeScope();
    }
}
