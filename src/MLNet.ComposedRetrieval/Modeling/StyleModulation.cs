using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>
/// The compositor's style module (docs/method.md, style module; CoSMo's global style modulator). From the
/// text feature t it computes gates [g_σ ; g_μ] = sigmoid(L_g(t)) and an affine style [γ_t ; β_t] = L_s(t)
/// (each D → 2C, <see cref="StyleLinear"/>s <c>gate</c> and <c>transform</c>, equalised by default), and restyles the content
/// output o2 with the statistics of the ORIGINAL reference map x:
/// <c>out = (g_σ · σ_x + γ_t) · o2 + (g_μ · μ_x + β_t)</c>.
/// In each 2C vector the first C entries are the σ/γ half, the last C the μ/β half.
/// </summary>
internal sealed class StyleModulation : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly StyleLinear gate;
    private readonly StyleLinear transform;
    private readonly int channels;

    /// <param name="channels">C, the channels of the image map.</param>
    /// <param name="textDimension">D, the width of the text feature t.</param>
    /// <param name="equalizedLinears">Equalised-learning-rate linears (the method's); false for plain ones.</param>
    public StyleModulation(int channels, int textDimension, bool equalizedLinears = true) : base(nameof(StyleModulation))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        this.channels = channels;
        gate = new StyleLinear(textDimension, 2 * channels, equalizedLinears);
        transform = new StyleLinear(textDimension, 2 * channels, equalizedLinears);
        // Why γ starts at 1: at initialisation the module then passes o2 through with the reference's own
        // statistics, (g_σ σ_x + 1) o2 + g_μ μ_x, instead of zeroing it.
        using (no_grad())
            transform.Bias[..channels].fill_(1.0);
        RegisterComponents();
    }

    /// <summary>L_g, whose sigmoid gives [g_σ ; g_μ].</summary>
    internal StyleLinear Gate => gate;

    /// <summary>L_s, giving [γ_t ; β_t].</summary>
    internal StyleLinear Transform => transform;

    /// <summary>
    /// content [B, C, H, W] (o2, the content module's output), original [B, C, H, W] (the reference map x before
    /// instance norm, whose statistics are taken without gradient) and t [B, D] to the restyled map [B, C, H, W].
    /// </summary>
    public override Tensor forward(Tensor content, Tensor original, Tensor t)
    {
        using var scope = NewDisposeScope();
        // Biased std over the spatial positions, no gradient: the reference's style is an input, not a path.
        var (mean, std) = ChannelStatistics(original.detach());

        var gates = gate.forward(t).sigmoid().view(t.shape[0], 2 * channels, 1, 1);
        var style = transform.forward(t).view(t.shape[0], 2 * channels, 1, 1);
        var (stdGate, meanGate) = (gates[.., ..channels], gates[.., channels..]);
        var (gamma, beta) = (style[.., ..channels], style[.., channels..]);

        var scale = stdGate.mul(std).add(gamma);
        var shift = meanGate.mul(mean).add(beta);
        return scale.mul(content).add(shift).MoveToOuterDisposeScope();
    }

    private static (Tensor Mean, Tensor Std) ChannelStatistics(Tensor map) =>
        (map.mean([2, 3], keepdim: true), map.std([2, 3], unbiased: false, keepdim: true));
}
