using System.Diagnostics.CodeAnalysis;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>
/// An inference-only copy of a <see cref="ResNetBackbone"/> with every batch norm folded into the convolution before
/// it (<see cref="FoldedConvolution"/>): the same function as the backbone's <c>forward</c> in evaluation mode, up to
/// float rounding, without the batch-norm passes. Made by <see cref="ResNetBackbone.FoldBatchNorm"/>; on the CPU,
/// <see cref="TryUseOneDnn"/> makes it run in oneDNN's tensor layout.
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

    /// <summary>Whether <see cref="forward"/> runs float32 CPU images in oneDNN's layout (see <see cref="TryUseOneDnn"/>).</summary>
    public bool UsesOneDnn { get; private set; }

    /// <summary>The layer4 map of preprocessed images [B, 3, H, W], as <see cref="ResNetBackbone.forward"/> in evaluation mode.</summary>
    public override Tensor forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        // In oneDNN's layout the convolutions, ReLUs, residual sums and the max pool all keep it: one conversion
        // each way per forward instead of one per convolution.
        var oneDnn = UsesOneDnn && OneDnnOps.Accepts(images);
        var x = oneDnn ? OneDnnOps.ToOneDnn(images) : images;
        x = blocks.forward(maxpool.forward(stem.forward(x).relu_()));
        return (oneDnn ? OneDnnOps.ToDense(x) : x).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Makes <see cref="forward"/> run in oneDNN's tensor layout: every convolution weight is reordered into oneDNN's
    /// blocked layout once, here (libtorch's dense convolution reorders it on every call), and images are converted
    /// to oneDNN's layout once per forward and the layer4 map back. The same function, run by the same oneDNN
    /// kernels: equal to the dense forward up to float rounding. Only float32 CPU images take this path (after a move
    /// to another device or type, forward is dense again). Not thread-safe: call it before sharing the net.
    /// </summary>
    /// <param name="reason">When false: why oneDNN is not used (libtorch without oneDNN, a net not of float32 on the
    /// CPU, a failed reorder); the net then stays dense.</param>
    /// <returns>Whether the net now uses oneDNN.</returns>
    public bool TryUseOneDnn([NotNullWhen(false)] out string? reason)
    {
        reason = null;
        if (UsesOneDnn) return true;
        var weight = buffers().First();
        if (!OneDnnOps.Accepts(weight)) reason = $"the net's weights are {weight.dtype} on {weight.device}; oneDNN here takes Float32 on the CPU";
        else reason = OneDnnOps.Availability;
        if (reason is not null) return false;

        var convolutions = modules().OfType<FoldedConvolution>().ToList();
        try
        {
            foreach (var convolution in convolutions) convolution.UseOneDnn();
        }
        catch (System.Runtime.InteropServices.ExternalException e)
        {
            foreach (var convolution in convolutions) convolution.StopUsingOneDnn();
            reason = "reordering a convolution weight failed: " + e.Message.Split('\n')[0];
            return false;
        }
        UsesOneDnn = true;
        return true;
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
