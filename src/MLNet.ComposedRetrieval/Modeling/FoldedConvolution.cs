using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>
/// A convolution followed by an evaluation-mode batch norm, as one convolution: BN(conv(x)) = conv'(x) with
/// w' = w · s and b' = β + (b − μ) · s per output channel, s = γ / √(σ² + ε) (μ, σ² the running statistics).
/// Inference only: its weights are a snapshot taken by <see cref="Fold"/>, with no gradients, and later changes to
/// the source modules do not reach it.
/// </summary>
/// <remarks>After <see cref="UseOneDnn"/> it also keeps its weight reordered into oneDNN's layout, and runs oneDNN's
/// convolution on float32 CPU inputs, which may then be in oneDNN's layout (see <see cref="FoldedResNet.TryUseOneDnn"/>).</remarks>
internal sealed class FoldedConvolution : nn.Module<Tensor, Tensor>
{
    private readonly Tensor weight;
    private readonly Tensor bias;
    private readonly long[] stride;
    private readonly long[] padding;
    private readonly long[] dilation;
    private readonly long groups;
    private readonly ConvolutionGeometry geometry;

    // Not a buffer (RegisterComponents ran while it was null): a oneDNN-layout tensor can be neither saved nor moved
    // to another device. Disposed with this module.
    private Tensor? oneDnnWeight;

    private FoldedConvolution(Tensor weight, Tensor bias, Conv2d convolution) : base(nameof(FoldedConvolution))
    {
        this.weight = weight;
        this.bias = bias;
        stride = convolution.stride;
        padding = convolution.padding!;
        dilation = convolution.dilation;
        groups = convolution.groups;
        geometry = ConvolutionGeometry.Of(padding, stride, dilation, groups);
        RegisterComponents();
    }

    /// <summary>Folds <paramref name="norm"/>'s running statistics and affine parameters into a copy of
    /// <paramref name="convolution"/>. The arithmetic is done in float64, then rounded once to the weights' type.</summary>
    /// <exception cref="ArgumentException">The batch norm keeps no running statistics, or its width differs from the
    /// convolution's output channels.</exception>
    public static FoldedConvolution Fold(Conv2d convolution, BatchNorm2d norm)
    {
        ArgumentNullException.ThrowIfNull(convolution);
        ArgumentNullException.ThrowIfNull(norm);
        if (convolution.padding_mode != PaddingModes.Zeros || convolution.padding is null)
            throw new ArgumentException("Only convolutions with explicit zero padding can be folded.", nameof(convolution));
        if (norm.running_mean is null || norm.running_var is null)
            throw new ArgumentException("Cannot fold a batch norm that keeps no running statistics (track_running_stats: false).", nameof(norm));
        if (norm.num_features != convolution.out_channels)
            throw new ArgumentException(
                $"A batch norm over {norm.num_features} channels cannot follow a convolution with {convolution.out_channels} output channels.", nameof(norm));

        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var source = convolution.weight!;
        var scale = norm.running_var.to(float64).add(norm.eps).rsqrt();
        if (norm.weight is not null) scale = scale.mul(norm.weight.to(float64));
        var shift = convolution.bias is null ? norm.running_mean.to(float64).neg() : convolution.bias.to(float64).sub(norm.running_mean.to(float64));
        shift = shift.mul(scale);
        if (norm.bias is not null) shift = shift.add(norm.bias.to(float64));
        var weight = source.to(float64).mul(scale.view(-1, 1, 1, 1)).to(source.dtype).contiguous();
        var bias = shift.to(source.dtype);
        return new FoldedConvolution(weight.MoveToOuterDisposeScope(), bias.MoveToOuterDisposeScope(), convolution);
    }

    /// <summary>Whether <see cref="UseOneDnn"/> has reordered the weight.</summary>
    public bool UsesOneDnn => oneDnnWeight is not null;

    /// <summary>Reorders the weight into oneDNN's blocked layout once (a snapshot of the folded weight, valid for any
    /// batch and input size), so that <see cref="forward"/> no longer has libtorch reorder it on every call. Not
    /// thread-safe: call it before sharing the module.</summary>
    /// <exception cref="System.Runtime.InteropServices.ExternalException">libtorch could not reorder it (no oneDNN, not float32 on the CPU).</exception>
    public void UseOneDnn()
    {
        if (oneDnnWeight is not null) return;
        using var noGrad = no_grad();
        oneDnnWeight = OneDnnOps.ReorderConvolutionWeight(weight, geometry).DetachFromDisposeScope();
    }

    /// <summary>Frees the oneDNN weight; <see cref="forward"/> is the dense convolution again.</summary>
    public void StopUsingOneDnn()
    {
        oneDnnWeight?.Dispose();
        oneDnnWeight = null;
    }

    /// <summary>The convolution of <paramref name="input"/>: oneDNN's with the reordered weight when there is one and the
    /// input is float32 on the CPU (dense or oneDNN layout, kept in the result), otherwise libtorch's dense one.</summary>
    public override Tensor forward(Tensor input) =>
        oneDnnWeight is not null && OneDnnOps.Accepts(input)
            ? OneDnnOps.Convolution(input, oneDnnWeight, bias, geometry)
            : nn.functional.conv2d(input, weight, bias, stride, padding, dilation, groups);

    protected override void Dispose(bool disposing)
    {
        if (disposing) StopUsingOneDnn();
        base.Dispose(disposing);
    }
}
