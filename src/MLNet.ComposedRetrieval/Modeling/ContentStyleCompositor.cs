using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>
/// The CoSMo content-style compositor (docs/method.md "Network", compositor; the paper's Figure 3 and its
/// reference [18], Lee et al., CVPR 2021): composes the reference map x
/// [B, C, H, W] with the text feature t [B, D] into a map of the same shape.
/// <list type="number">
/// <item>n = InstanceNorm2d(x), no affine parameters, eps 1e-5;</item>
/// <item>content: o1 = n + w0 · A1(n, t), o2 = o1 + w1 · A2(o1, t), (w0, w1) = <c>residual_weights</c>, initialised 1;</item>
/// <item>style: out = <see cref="StyleModulation"/>(o2, x, t).</item>
/// </list>
/// Parameter names match <c>golden/compositor.json</c>: <c>attention1.*</c>, <c>attention2.*</c>,
/// <c>residual_weights</c>, <c>style.gate.*</c>, <c>style.transform.*</c>.
/// </summary>
internal sealed class ContentStyleCompositor : nn.Module<Tensor, Tensor, Tensor>
{
    /// <summary>ε of the instance norm n = InstanceNorm2d(x).</summary>
    internal const double InstanceNormEpsilon = 1e-5;

    private readonly CompositorAttention attention1;
    private readonly CompositorAttention attention2;
    [ComponentName(Name = "residual_weights")]
    private readonly Parameter residualWeights;
    private readonly StyleModulation style;

    /// <param name="channels">C, the channels of the reference map.</param>
    /// <param name="textDimension">D, the width of the text feature.</param>
    /// <param name="heads">Attention heads (8 in the paper); must divide <paramref name="channels"/>.</param>
    /// <param name="equalizedStyleLinears">The style module's linears with an equalised learning rate (the method's);
    /// false for plain linears (an ablation).</param>
    public ContentStyleCompositor(int channels, int textDimension, int heads = 8, bool equalizedStyleLinears = true) : base(nameof(ContentStyleCompositor))
    {
        Channels = channels;
        TextDimension = textDimension;
        Heads = heads;
        attention1 = new CompositorAttention(channels, textDimension, heads);
        attention2 = new CompositorAttention(channels, textDimension, heads);
        residualWeights = nn.Parameter(ones(2));
        style = new StyleModulation(channels, textDimension, equalizedStyleLinears);
        RegisterComponents();
    }

    /// <summary>C.</summary>
    public int Channels { get; }

    /// <summary>D.</summary>
    public int TextDimension { get; }

    /// <summary>Attention heads of each block.</summary>
    public int Heads { get; }

    /// <summary>A1, the first attention block (on n).</summary>
    internal CompositorAttention Attention1 => attention1;

    /// <summary>A2, the second attention block (on o1).</summary>
    internal CompositorAttention Attention2 => attention2;

    /// <summary>(w0, w1).</summary>
    internal Parameter ResidualWeights => residualWeights;

    /// <summary>The style module.</summary>
    internal StyleModulation Style => style;

    /// <summary>Checks reference maps [B, <paramref name="channels"/>, H, W] against one text row [B, <paramref name="textWidth"/>] each.</summary>
    internal static void RequireMapsAndTexts(Tensor maps, long channels, string mapName, Tensor texts, long textWidth, string textName)
    {
        TensorShape.RequireRank(maps, 4, mapName, $"[B, {channels}, H, W]");
        TensorShape.RequireSize(maps, 1, channels, mapName, $"[B, {channels}, H, W]");
        TensorShape.RequireRank(texts, 2, textName, $"[B, {textWidth}]");
        TensorShape.RequireSize(texts, 1, textWidth, textName, $"[B, {textWidth}]");
        TensorShape.RequireSize(texts, 0, maps.shape[0], textName, $"one row per reference map ({maps.shape[0]})");
    }

    /// <summary>x [B, C, H, W] and t [B, D] to the composed map [B, C, H, W].</summary>
    public override Tensor forward(Tensor x, Tensor t)
    {
        RequireMapsAndTexts(x, Channels, "Compositor reference map", t, TextDimension, "Compositor text feature");

        using var scope = NewDisposeScope();
        var normalized = nn.functional.instance_norm(x, eps: InstanceNormEpsilon);
        var content1 = normalized.add(residualWeights[0].mul(attention1.forward(normalized, t)));
        var content2 = content1.add(residualWeights[1].mul(attention2.forward(content1, t)));
        return style.forward(content2, x, t).MoveToOuterDisposeScope();
    }
}
