using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>
/// One attention block A(x, t) of the compositor's content module (docs/method.md "Network", attention block; the
/// CoSMo paper's disentangled multi-modal non-local block), with <c>heads</c> heads of C / heads channels each:
/// <list type="bullet">
/// <item>values V = Wv(merge([x ; t tiled over H × W])), both bias-free 1×1 convolutions;</item>
/// <item>self-attention S = softmax over keys of Qᵀ K / sqrt(C / heads), Q and K bias-free 1×1 convolutions of x;</item>
/// <item>text-to-image map G = softmax over the H·W positions of x_head · (Wt t)_head / sqrt(C / heads);</item>
/// <item>A = S + G (G added to every query row, not renormalised); output Wr(V Aᵀ), Wr a 1×1 convolution with bias.</item>
/// </list>
/// Parameter names (<c>merge</c>, <c>value</c>, <c>query</c>, <c>key</c>, <c>text</c>, <c>output</c>) are those of
/// the golden file <c>golden/compositor.json</c>.
/// </summary>
internal sealed class CompositorAttention : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Conv2d merge;
    private readonly Conv2d value;
    private readonly Conv2d query;
    private readonly Conv2d key;
    private readonly Linear text;
    private readonly Conv2d output;
    private readonly int heads;
    private readonly double attentionScale;

    /// <param name="channels">C, the channels of the image map.</param>
    /// <param name="textDimension">D, the width of the text feature t.</param>
    /// <param name="heads">The number of heads; must divide <paramref name="channels"/>.</param>
    public CompositorAttention(int channels, int textDimension, int heads) : base(nameof(CompositorAttention))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(textDimension, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(heads, 1);
        if (channels % heads != 0)
            throw new ArgumentException($"The compositor's {heads} heads must divide its {channels} channels.", nameof(heads));

        this.heads = heads;
        attentionScale = 1.0 / Math.Sqrt(channels / heads);
        merge = nn.Conv2d(channels + textDimension, channels, 1, bias: false);
        value = nn.Conv2d(channels, channels, 1, bias: false);
        query = nn.Conv2d(channels, channels, 1, bias: false);
        key = nn.Conv2d(channels, channels, 1, bias: false);
        text = nn.Linear(textDimension, channels);
        output = nn.Conv2d(channels, channels, 1);
        RegisterComponents();
    }

    /// <summary>x [B, C, H, W] and t [B, D] to the attended map [B, C, H, W].</summary>
    public override Tensor forward(Tensor x, Tensor t)
    {
        using var scope = NewDisposeScope();
        var (batch, channels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);

        var values = SplitHeads(value.forward(Merge(x, t)));

        var attention = SelfAttention(x).add(TextToImageAttention(x, t));      // [B, heads, queries, keys]
        var attended = values.matmul(attention.transpose(2, 3));               // V Aᵀ: [B, heads, C/heads, H·W]
        return output.forward(attended.reshape(batch, channels, height, width)).MoveToOuterDisposeScope();
    }

    /// <summary>This block's weights for inference, with value∘merge composed (see <see cref="CompositorAttentionWeights"/>);
    /// the products are taken in float64.</summary>
    internal CompositorAttentionWeights FoldedWeights()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        Tensor Matrix(Tensor weight) => weight.to(ScalarType.Float64).flatten(1);
        Tensor Keep(Tensor weight) => weight.MoveToOuterDisposeScope();
        var merged = Matrix(merge.weight!);                                      // [C, C + D]
        var channels = merged.shape[0];
        var values = Matrix(value.weight!);
        return new CompositorAttentionWeights(
            Query: Keep(Matrix(query.weight!)),
            Key: Keep(Matrix(key.weight!)),
            ImageValue: Keep(values.matmul(merged.narrow(1, 0, channels))),
            TextValue: Keep(values.matmul(merged.narrow(1, channels, merged.shape[1] - channels))),
            TextWeight: Keep(text.weight!.to(ScalarType.Float64)),
            TextBias: Keep(text.bias!.to(ScalarType.Float64)),
            Output: Keep(Matrix(output.weight!)),
            OutputBias: Keep(output.bias!.to(ScalarType.Float64)));
    }

    /// <summary>
    /// merge([x ; t tiled over H x W]) without tiling: a 1x1 convolution is linear in its input channels, so the text
    /// half of the weight acts once per sample instead of once per position (same result and gradients, fewer FLOPs).
    /// </summary>
    private Tensor Merge(Tensor x, Tensor t)
    {
        long channels = x.shape[1];
        var weight = merge.weight!.flatten(1);                                 // [C, C + D]
        var fromImage = nn.functional.conv2d(x, weight.narrow(1, 0, channels).view(channels, channels, 1, 1));
        var fromText = t.matmul(weight.narrow(1, channels, weight.shape[1] - channels).t());   // [B, C]
        return fromImage + fromText.view(fromText.shape[0], -1, 1, 1);
    }

    /// <summary>S = softmax over keys of Qᵀ K / sqrt(C / heads): [B, heads, H·W (queries), H·W (keys)].</summary>
    private Tensor SelfAttention(Tensor x)
    {
        var queries = SplitHeads(query.forward(x));
        var keys = SplitHeads(key.forward(x));
        return queries.transpose(2, 3).matmul(keys).mul(attentionScale).softmax(-1);
    }

    /// <summary>G = softmax over positions of x_head · (Wt t)_head / sqrt(C / heads): [B, heads, 1, H·W].</summary>
    private Tensor TextToImageAttention(Tensor x, Tensor t)
    {
        var mappedText = text.forward(t).view(t.shape[0], heads, -1, 1);       // [B, heads, C/heads, 1]
        var scores = SplitHeads(x).transpose(2, 3).matmul(mappedText);          // [B, heads, H·W, 1]
        // Why the shape [.., 1, H·W]: G is a distribution over key positions, added to every query row of S.
        return scores.mul(attentionScale).softmax(2).transpose(2, 3);
    }

    /// <summary>[B, C, H, W] to [B, heads, C / heads, H·W]; head k owns channels k·C/heads .. (k+1)·C/heads − 1.</summary>
    private Tensor SplitHeads(Tensor map) => map.reshape(map.shape[0], heads, -1, map.shape[2] * map.shape[3]);
}
