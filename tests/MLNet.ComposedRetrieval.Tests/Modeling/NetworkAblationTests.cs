using MLNet.ComposedRetrieval.Modeling;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Modeling;

/// <summary>The ablation options change the network as stated, and nothing else.</summary>
public class NetworkAblationTests
{
    private static long ParameterCount(ComposedRetrievalNetwork network) => network.parameters().Sum(p => p.numel());

    private static Dictionary<string, long[]> Shapes(ComposedRetrievalNetwork network) =>
        network.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);

    [Fact]
    public void TextDropoutAndPlainStyleLinearsKeepEveryParameterAndShape()
    {
        using var method = new ComposedRetrievalNetwork(64, 48, new ComposedNetworkOptions { EmbeddingDimension = 32, Heads = 4 });
        using var ablated = new ComposedRetrievalNetwork(64, 48,
            new ComposedNetworkOptions { EmbeddingDimension = 32, Heads = 4, TextDropout = 0.5, EqualizedStyleLinears = false });

        Assert.Equal(ParameterCount(method), ParameterCount(ablated));
        Assert.Equal(Shapes(method), Shapes(ablated));
    }

    [Fact]
    public void TextDropoutActsInTrainingOnlyAndScalesTheKeptValues()
    {
        using var projection = new TextProjection(48, 256, dropout: 0.5);
        using var reference = new TextProjection(48, 256);
        reference.load_state_dict(projection.state_dict());
        using var scope = NewDisposeScope();
        var sentences = randn(8, 48);

        projection.eval();
        reference.eval();
        Assert.True(projection.forward(sentences).equal(reference.forward(sentences)).all().item<bool>(), "dropout must be off in evaluation");

        projection.train();
        reference.train();
        var (dropped, full) = (projection.forward(sentences), reference.forward(sentences));
        var zeroed = dropped.eq(0).to(ScalarType.Float32).mean().item<float>();
        Assert.InRange(zeroed, 0.4f, 0.6f);
        var kept = dropped.ne(0);
        Assert.True(dropped.masked_select(kept).allclose(full.masked_select(kept).mul(2), rtol: 1e-5, atol: 1e-6), "kept values are scaled by 1 / (1 - p)");
    }

    [Fact]
    public void PlainStyleLinearsApplyTheirWeightAsStoredAndEqualisedOnesScaleIt()
    {
        using var scope = NewDisposeScope();
        using var plain = new StyleLinear(100, 6, equalized: false);
        using var equalised = new StyleLinear(100, 6);
        var input = randn(4, 100);
        var (plainWeight, equalisedWeight) = (plain.parameters().First(), equalised.parameters().First());

        Assert.True(plain.forward(input).allclose(input.matmul(plainWeight.t()), atol: 1e-6));
        Assert.True(equalised.forward(input).allclose(input.matmul(equalisedWeight.t()).mul(Math.Sqrt(2.0 / 100)), atol: 1e-5));
        Assert.InRange(plainWeight.abs().max().item<float>(), 0, 0.1f);                   // uniform in ±1/sqrt(100)
        Assert.InRange(equalisedWeight.std().item<float>(), 0.8f, 1.2f);                   // N(0, 1)
        Assert.Equal(0, plain.Bias.abs().sum().item<float>());
    }
}
