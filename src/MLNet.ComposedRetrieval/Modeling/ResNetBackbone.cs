using MLNet.ComposedRetrieval.Modeling.Inference;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>
/// A torchvision-compatible ResNet up to layer4 (docs/method.md "Network", image encoder lower part): forward gives
/// the layer4 map [B, C, H/32, W/32] (H/16 with <see cref="ResNetArchitecture.Layer4StrideOne"/>), <see cref="Pool"/>
/// the globally averaged [B, C] vector. Parameter and buffer names are torchvision's (<c>conv1.weight</c>,
/// <c>bn1.running_mean</c>, <c>layer1.0.conv1.weight</c>, <c>layer2.0.downsample.0.weight</c>; no <c>fc</c>), so
/// PyTorch state dicts load by name. New instances are randomly initialised as torchvision does; pretrained
/// weights come from the Pretrained layer.
/// </summary>
internal sealed class ResNetBackbone : ImageBackbone
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly MaxPool2d maxpool;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;

    /// <param name="architecture">Block kind, blocks per stage and the layer4 stride.</param>
    /// <param name="preprocessing">How images must be prepared for the weights this backbone will hold;
    /// torchvision's ImageNet normalisation when omitted.</param>
    /// <param name="name">The module name.</param>
    public ResNetBackbone(ResNetArchitecture architecture, ImagePreprocessing? preprocessing = null, string name = "resnet")
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        architecture.Validate();
        Architecture = architecture;
        Preprocessing = preprocessing ?? ImagePreprocessing.ImageNet224;

        conv1 = Conv2d(3, 64, 7, stride: 2, padding: 3, bias: false);
        bn1 = BatchNorm2d(64);
        maxpool = MaxPool2d(3, stride: 2, padding: 1);
        long channels = 64;
        layer1 = Stage(architecture, 64, architecture.BlockCounts[0], stride: 1, ref channels);
        layer2 = Stage(architecture, 128, architecture.BlockCounts[1], stride: 2, ref channels);
        layer3 = Stage(architecture, 256, architecture.BlockCounts[2], stride: 2, ref channels);
        layer4 = Stage(architecture, 512, architecture.BlockCounts[3], stride: architecture.Layer4StrideOne ? 1 : 2, ref channels);
        RegisterComponents();
        InitializeLikeTorchvision();
    }

    public ResNetArchitecture Architecture { get; }

    /// <inheritdoc/>
    public override int OutputChannels => Architecture.OutputChannels;

    /// <inheritdoc/>
    public override ImagePreprocessing Preprocessing { get; }

    /// <summary>The layer4 map of preprocessed images [B, 3, H, W].</summary>
    public override Tensor forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        var x = maxpool.forward(bn1.forward(conv1.forward(images)).relu_());
        x = layer4.forward(layer3.forward(layer2.forward(layer1.forward(x))));
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>The pooled image vector [B, C] of preprocessed images (torchvision's output before <c>fc</c>).</summary>
    public Tensor ForwardPooled(Tensor images)
    {
        using var map = forward(images);
        return Pool(map);
    }

    /// <summary>
    /// An inference-only copy with every batch norm folded into the convolution before it: the function
    /// <see cref="forward"/> computes in evaluation mode (running statistics), without the batch-norm passes. A
    /// snapshot of the current weights and statistics; this backbone, its training mode and its parameters are
    /// left as they are.
    /// </summary>
    public override FoldedResNet ToInference()
    {
        var blocks = new[] { layer1, layer2, layer3, layer4 }.SelectMany(stage => stage.children()).Select(block => block switch
        {
            ResNetBasicBlock basic => basic.ToInference(),
            ResNetBottleneck bottleneck => bottleneck.ToInference(),
            _ => throw new InvalidOperationException($"Unexpected ResNet block {block.GetType().Name}."),
        });
        return new FoldedResNet(Preprocessing, FoldedConvolution.Fold(conv1, bn1),
            MaxPool2d(maxpool.kernel_size, maxpool.stride, maxpool.padding, maxpool.dilation, maxpool.ceil_mode), blocks);
    }

    /// <summary>Global average pooling of a map [B, C, h, w] to [B, C].</summary>
    public static Tensor Pool(Tensor map) => map.mean([2, 3]);

    /// <summary>The folded form of a <see cref="Shortcut"/> (null stays null).</summary>
    internal static FoldedConvolution? FoldShortcut(Sequential? shortcut) =>
        shortcut is null ? null : FoldedConvolution.Fold((Conv2d)shortcut[0], (BatchNorm2d)shortcut[1]);

    /// <summary>A 1x1 strided conv + BN when the block changes resolution or width (torchvision's <c>downsample</c>),
    /// else null for the identity.</summary>
    internal static Sequential? Shortcut(long inChannels, long outChannels, long stride) =>
        stride == 1 && inChannels == outChannels
            ? null
            : Sequential(Conv2d(inChannels, outChannels, 1, stride: stride, bias: false), BatchNorm2d(outChannels));

    private static Sequential Stage(ResNetArchitecture architecture, long width, int blocks, long stride, ref long channels)
    {
        var modules = new List<Module<Tensor, Tensor>>(blocks);
        for (int i = 0; i < blocks; i++)
        {
            long blockStride = i == 0 ? stride : 1;
            modules.Add(architecture.Block == ResNetBlockKind.Basic
                ? new ResNetBasicBlock(channels, width, blockStride)
                : new ResNetBottleneck(channels, width, blockStride));
            channels = width * architecture.Expansion;
        }
        return Sequential(modules);
    }

    /// <summary>torchvision's ResNet init: Kaiming-normal (fan-out, ReLU) convolutions, BN weight 1 and bias 0.</summary>
    private void InitializeLikeTorchvision()
    {
        using var noGrad = no_grad();
        foreach (var module in modules())
        {
            if (module is Conv2d conv) init.kaiming_normal_(conv.weight, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
            else if (module is BatchNorm2d bn)
            {
                init.ones_(bn.weight);
                init.zeros_(bn.bias);
            }
        }
    }
}
