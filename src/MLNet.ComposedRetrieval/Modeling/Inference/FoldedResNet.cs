using System.Diagnostics.CodeAnalysis;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling.Inference;

/// <summary>
/// An inference-only copy of a <see cref="ResNetBackbone"/> with every batch norm folded into the convolution before
/// it (<see cref="FoldedConvolution"/>): the same function as the backbone's <c>forward</c> in evaluation mode, up to
/// float rounding, without the batch-norm passes. Made by <see cref="ResNetBackbone.ToInference"/>; on the CPU,
/// <see cref="TryUseOneDnn"/> makes it run in oneDNN's tensor layout.
/// </summary>
/// <remarks>
/// A snapshot: it holds its own weights, taken when it was made, so training the source backbone afterwards does not
/// change it (make a new one) and nothing in training ever runs through it. It cannot be put in training mode.
/// </remarks>
internal sealed class FoldedResNet : InferenceImageEncoder
{
    private readonly FoldedConvolution stem;
    private readonly MaxPool2d maxpool;
    private readonly Sequential blocks;

    /// <param name="preprocessing">The source backbone's preprocessing.</param>
    /// <param name="stem">The first convolution with its batch norm folded.</param>
    /// <param name="maxpool">The stem's max pool.</param>
    /// <param name="blocks">The residual blocks, stage after stage.</param>
    public FoldedResNet(ImagePreprocessing preprocessing, FoldedConvolution stem, MaxPool2d maxpool, IEnumerable<FoldedResidualBlock> blocks)
        : base(nameof(FoldedResNet), preprocessing)
    {
        this.stem = stem;
        this.maxpool = maxpool;
        this.blocks = nn.Sequential(blocks.ToArray());
        RegisterComponents();
        eval();
    }

    /// <summary>Whether <see cref="forward"/> runs float32 CPU images in oneDNN's layout (see <see cref="TryUseOneDnn"/>).</summary>
    public bool UsesOneDnn { get; private set; }

    /// <summary>The layer4 map of preprocessed images [B, 3, H, W], as <see cref="ResNetBackbone.forward"/> in evaluation mode.</summary>
    public override Tensor forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        var oneDnn = UsesOneDnn && OneDnnOps.Accepts(images);
        var x = oneDnn ? OneDnnOps.ToOneDnn(images) : images;
        x = blocks.forward(maxpool.forward(stem.forward(x).relu_()));
        return (oneDnn ? x.to_dense() : x).MoveToOuterDisposeScope();
    }

    /// <summary>oneDNN's layout where it works (<see cref="TryUseOneDnn"/>), else dense.</summary>
    public override string SelectExecution() => TryUseOneDnn(out var reason)
        ? "ResNet with batch norm folded, in oneDNN's layout"
        : $"ResNet with batch norm folded, dense (oneDNN not used: {reason})";

    /// <summary>
    /// Makes <see cref="forward"/> run in oneDNN's tensor layout: images are converted to it once per forward, every
    /// layer (convolutions, ReLUs, residual sums, max pool) takes and gives oneDNN tensors, and the layer4 map is
    /// converted back once. libtorch's dense path runs the same oneDNN convolutions but converts each one's input and
    /// output between layouts, and does the ReLUs and sums itself: the result is equal up to float rounding (bit-equal
    /// in practice), and a ResNet-18 forward took about 0.85 of the dense time at batch 1 and 0.75 at batch 32 on a
    /// 2-core AVX2 machine. Only float32 CPU images take this path (after a move to another device or type, forward
    /// is dense again). Not thread-safe: call it before sharing the net.
    /// </summary>
    /// <param name="reason">When false: why oneDNN's layout is not used (libtorch without oneDNN, a net not of float32
    /// on the CPU); the net then stays dense.</param>
    /// <returns>Whether the net now uses oneDNN's layout.</returns>
    /// <remarks>Convolution weights stay as they are: reordering them once into oneDNN's blocked layout
    /// (<c>torch.mkldnn_reorder_conv2d_weight</c>) was tried and made forwards slower, since libtorch 2.10 picks that
    /// layout for a small dummy input and oneDNN reorders it again, on every call, into the one it runs.</remarks>
    public bool TryUseOneDnn([NotNullWhen(false)] out string? reason)
    {
        var weight = buffers().First();
        reason = !OneDnnOps.Accepts(weight)
            ? $"the net's weights are {weight.dtype} on {weight.device}; oneDNN's layout here takes Float32 on the CPU"
            : OneDnnOps.Availability;
        UsesOneDnn = reason is null;
        return UsesOneDnn;
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">When asked for training mode: batch norm is folded away.</exception>
    public override void train(bool train = true)
    {
        if (train)
            throw new InvalidOperationException(
                "A FoldedResNet is for inference only (its batch norms are folded into the convolutions); train the ResNetBackbone it was made from.");
        base.train(false);
    }
}
