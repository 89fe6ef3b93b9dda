using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>
/// A linear layer with an equalised learning rate, as in StyleGAN and the CoSMo style module (METHOD.md
/// "Network", style module): the stored <c>weight</c> [out, in] is drawn N(0, 1) and multiplied by
/// sqrt(2 / in) at every forward; <c>bias</c> [out] starts at 0. Why: SGD then moves every weight at the same
/// relative rate whatever the fan-in, which the paper's learning rates were tuned for.
/// </summary>
internal sealed class EqualizedLinear : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly double weightScale;

    /// <param name="inFeatures">Input width (the fan-in that sets the scale).</param>
    /// <param name="outFeatures">Output width.</param>
    public EqualizedLinear(int inFeatures, int outFeatures) : base(nameof(EqualizedLinear))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inFeatures, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outFeatures, 1);
        weight = nn.Parameter(randn(outFeatures, inFeatures));
        bias = nn.Parameter(zeros(outFeatures));
        weightScale = Math.Sqrt(2.0 / inFeatures);
        RegisterComponents();
    }

    /// <summary>The bias, for initialisations such as the style transform's gamma half starting at 1.</summary>
    public Parameter Bias => bias;

    /// <summary>The weight as <see cref="forward"/> applies it (stored weight × sqrt(2 / in)), [out, in], as a
    /// float64 copy without gradient: for inference snapshots (<see cref="FoldedComposer"/>).</summary>
    internal Tensor ScaledWeight()
    {
        using var noGrad = no_grad();
        return weight.to(ScalarType.Float64).mul(weightScale);
    }

    /// <summary>[B, in] to [B, out].</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return nn.functional.linear(input, weight.mul(weightScale), bias).MoveToOuterDisposeScope();
    }
}
