using MLNet.ComposedRetrieval.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Modeling;

/// <summary>Initialisation and shape behaviour of the compositor (its arithmetic is pinned by the golden test).</summary>
public class ContentStyleCompositorTests
{
    [Fact]
    public void InitialisationFollowsTheMethod()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var compositor = new ContentStyleCompositor(channels: 16, textDimension: 64, heads: 8);
        var parameters = compositor.named_parameters().ToDictionary(p => p.name, p => p.parameter);

        Assert.Equal(new float[] { 1, 1 }, parameters["residual_weights"].data<float>().ToArray());
        var transformBias = parameters["style.transform.bias"].data<float>().ToArray();
        Assert.All(transformBias[..16], b => Assert.Equal(1f, b));   // gamma's half starts at 1
        Assert.All(transformBias[16..], b => Assert.Equal(0f, b));   // beta's half at 0
        Assert.All(parameters["style.gate.bias"].data<float>().ToArray(), b => Assert.Equal(0f, b));
        // Equalised-lr weights are stored N(0, 1) (the sqrt(2 / D) scale is applied at forward time).
        foreach (var name in new[] { "style.gate.weight", "style.transform.weight" })
        {
            var std = parameters[name].std().item<float>();
            Assert.InRange(std, 0.9f, 1.1f);
        }
    }

    [Fact]
    public void KeepsTheMapShapeInFloat32AndFloat64()
    {
        using var scope = NewDisposeScope();
        var compositor = new ContentStyleCompositor(channels: 16, textDimension: 8, heads: 4);
        Assert.Equal(new long[] { 3, 16, 5, 2 }, compositor.forward(randn(3, 16, 5, 2), randn(3, 8)).shape);
        compositor.to(ScalarType.Float64);
        var composed = compositor.forward(randn(3, 16, 5, 2, dtype: ScalarType.Float64), randn(3, 8, dtype: ScalarType.Float64));
        Assert.Equal(ScalarType.Float64, composed.dtype);
        Assert.False(composed.isnan().any().item<bool>());
    }

    [Fact]
    public void TheTextChangesTheComposition()
    {
        using var scope = NewDisposeScope();
        var compositor = new ContentStyleCompositor(channels: 16, textDimension: 8);
        var x = randn(1, 16, 3, 3);
        Assert.False(compositor.forward(x, randn(1, 8)).allclose(compositor.forward(x, randn(1, 8))));
    }

    [Fact]
    public void RejectsHeadsThatDoNotDivideTheChannels()
    {
        var error = Assert.Throws<ArgumentException>(() => new ContentStyleCompositor(channels: 12, textDimension: 8, heads: 8));
        Assert.Contains("12", error.Message);
    }

    [Fact]
    public void RejectsMismatchedBatchesNamingTheShapes()
    {
        using var scope = NewDisposeScope();
        var compositor = new ContentStyleCompositor(channels: 16, textDimension: 8);
        var error = Assert.Throws<ArgumentException>(() => compositor.forward(randn(2, 16, 3, 3), randn(3, 8)));
        Assert.Contains("[3, 8]", error.Message);
    }
}
