using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>
/// A linear layer of the compositor's style module (<see cref="StyleModulation"/>), in one of two forms:
/// <list type="bullet">
/// <item>equalised learning rate (the method's, as in StyleGAN and CoSMo; docs/method.md): the stored <c>weight</c>
/// [out, in] is drawn N(0, 1) and multiplied by sqrt(2 / in) at every forward. Why: SGD then moves every weight at the
/// same relative rate whatever the fan-in, which the paper's learning rates were tuned for;</item>
/// <item>plain: an ordinary linear, its weight drawn as PyTorch's <c>nn.Linear</c> draws it (uniform in
/// ±1/sqrt(in)) and used as stored, as an independent reimplementation of the method did (an ablation).</item>
/// </list>
/// <c>bias</c> [out] starts at 0 in both forms.
/// </summary>
internal sealed class StyleLinear : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly double weightScale;

    /// <param name="inFeatures">Input width (the fan-in that sets the scale).</param>
    /// <param name="outFeatures">Output width.</param>
    /// <param name="equalized">The equalised form (the method's); false for a plain linear.</param>
    public StyleLinear(int inFeatures, int outFeatures, bool equalized = true) : base(nameof(StyleLinear))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inFeatures, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outFeatures, 1);
        var bound = 1 / Math.Sqrt(inFeatures);
        weight = nn.Parameter(equalized ? randn(outFeatures, inFeatures) : rand(outFeatures, inFeatures).mul_(2 * bound).sub_(bound));
        bias = nn.Parameter(zeros(outFeatures));
        weightScale = equalized ? Math.Sqrt(2.0 / inFeatures) : 1;
        Equalized = equalized;
        RegisterComponents();
    }

    /// <summary>Whether this is the equalised form.</summary>
    public bool Equalized { get; }

    /// <summary>The bias, for initialisations such as the style transform's gamma half starting at 1.</summary>
    public Parameter Bias => bias;

    /// <summary>The weight as <see cref="forward"/> applies it (stored weight × its scale), [out, in], as a
    /// float64 copy without gradient: for inference snapshots (<see cref="Inference.FoldedComposer"/>).</summary>
    internal Tensor ScaledWeight()
    {
        using var noGrad = no_grad();
        return weight.to(ScalarType.Float64).mul(weightScale);
    }

    /// <summary>[B, in] to [B, out].</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var applied = Equalized ? weight.mul(weightScale) : weight;
        return nn.functional.linear(input, applied, bias).MoveToOuterDisposeScope();
    }
}
