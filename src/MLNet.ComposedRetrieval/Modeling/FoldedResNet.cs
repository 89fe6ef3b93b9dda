using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>
/// An inference-only copy of a <see cref="ResNetBackbone"/> with every batch norm folded into the convolution before
/// it (<see cref="FoldedConvolution"/>): the same function as the backbone's <c>forward</c> in evaluation mode, up to
/// float rounding, without the batch-norm passes. Made by <see cref="ResNetBackbone.FoldBatchNorm"/>.
/// </summary>
/// <remarks>
/// A snapshot: it holds its own weights, taken when it was made, so training the source backbone afterwards does not
/// change it (make a new one) and nothing in training ever runs through it. It cannot be put in training mode.
/// </remarks>
internal sealed class FoldedResNet : nn.Module<Tensor, Tensor>
{
    private readonly FoldedConvolution stem;
    private readonly MaxPool2d maxpool;
    private readonly Sequential blocks;

    public FoldedResNet(FoldedConvolution stem, MaxPool2d maxpool, IEnumerable<FoldedResidualBlock> blocks) : base(nameof(FoldedResNet))
    {
        this.stem = stem;
        this.maxpool = maxpool;
        this.blocks = nn.Sequential(blocks.ToArray());
        RegisterComponents();
        eval();
    }

    /// <summary>The layer4 map of preprocessed images [B, 3, H, W], as <see cref="ResNetBackbone.forward"/> in evaluation mode.</summary>
    public override Tensor forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        return blocks.forward(maxpool.forward(stem.forward(images).relu_())).MoveToOuterDisposeScope();
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
