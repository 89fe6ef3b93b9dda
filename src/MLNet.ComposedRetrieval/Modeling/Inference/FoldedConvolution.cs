using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling.Inference;

/// <summary>
/// A convolution followed by an evaluation-mode batch norm, as one convolution: BN(conv(x)) = conv'(x) with
/// w' = w · s and b' = β + (b − μ) · s per output channel, s = γ / √(σ² + ε) (μ, σ² the running statistics).
/// Inference only: its weights are a snapshot taken by <see cref="Fold"/>, with no gradients, and later changes to
/// the source modules do not reach it.
/// </summary>
internal sealed class FoldedConvolution : nn.Module<Tensor, Tensor>
{
    private readonly Tensor weight;
    private readonly Tensor bias;
    private readonly long[] stride;
    private readonly long[] padding;
    private readonly long[] dilation;
    private readonly long groups;

    private FoldedConvolution(Tensor weight, Tensor bias, Conv2d convolution) : base(nameof(FoldedConvolution))
    {
        this.weight = weight;
        this.bias = bias;
        stride = convolution.stride;
        padding = convolution.padding!;
        dilation = convolution.dilation;
        groups = convolution.groups;
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

    public override Tensor forward(Tensor input) =>
        nn.functional.conv2d(input, weight, bias, stride, padding, dilation, groups);
}
