using MLNet.ComposedRetrieval.Modeling;
using MLNet.ComposedRetrieval.Modeling.Inference;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Modeling.Inference;

public class FoldedComposerTests
{
    /// <summary>A network after the encoders whose every folded quantity is non-trivial: batch-norm statistics and
    /// affine parameters, residual weights other than 1, non-zero biases (fresh ones would hide a dropped term).</summary>
    private static ComposedRetrievalNetwork RandomizedNetwork(int channels, int sentenceDimension, ComposedNetworkOptions options, int seed)
    {
        manual_seed(seed);
        var network = new ComposedRetrievalNetwork(channels, sentenceDimension, options);
        using var noGrad = no_grad();
        foreach (var norm in network.modules().OfType<BatchNorm1d>())
        {
            norm.weight!.copy_(rand(norm.weight.shape).add_(0.5));
            norm.bias!.copy_(randn(norm.bias.shape).mul_(0.2));
            norm.running_mean!.copy_(randn(norm.running_mean.shape).mul_(0.2));
            norm.running_var!.copy_(rand(norm.running_var.shape).add_(0.5));
        }
        foreach (var (name, parameter) in network.named_parameters())
        {
            if (name == "compositor.residual_weights") parameter.copy_(tensor(new[] { 0.7f, 1.3f }));
            else if (name.EndsWith(".bias", StringComparison.Ordinal)) parameter.add_(randn(parameter.shape).mul_(0.1));
        }
        network.eval();
        return network;
    }

    /// <summary>Reference maps like a ResNet's: non-negative, with a per-channel mean and spread of their own.</summary>
    private static Tensor Maps(long batch, long channels, long height, long width) =>
        randn(batch, channels, height, width).mul(rand(1, channels, 1, 1).add(0.5)).add(rand(1, channels, 1, 1)).relu();

    [Theory]
    [InlineData(512, 384, 512, 8, 1, 7, 7)]     // the latency configuration: ResNet-18 7×7 maps, MiniLM, D = 512
    [InlineData(512, 384, 512, 8, 2, 14, 14)]   // layer4 stride 1, a batch
    [InlineData(64, 48, 32, 4, 3, 5, 3)]        // C ≠ D, non-square map
    public void MatchesComposeFromFeaturesInEvalModeInFloat32(int channels, int sentenceDimension, int embedding, int heads, int batch, int height, int width)
    {
        using var scope = NewDisposeScope();
        using var network = RandomizedNetwork(channels, sentenceDimension, new ComposedNetworkOptions { EmbeddingDimension = embedding, Heads = heads }, seed: 11);
        using var snapshot = network.ToInference();
        var folded = snapshot.Composer;
        using var inference = inference_mode();
        var (maps, sentences) = (Maps(batch, channels, height, width), randn(batch, sentenceDimension));

        var expected = network.ComposeFromFeatures(maps, sentences);
        var actual = folded.forward(maps, sentences);

        Assert.Equal(expected.shape, actual.shape);
        Assert.InRange(FoldedResNetTests.RelativeError(actual, expected), 0, 1e-5);
    }

    /// <summary>The ablations fold too: plain style linears (no equalising scale), text dropout (off in evaluation).</summary>
    [Fact]
    public void MatchesComposeFromFeaturesWithPlainStyleLinearsAndTextDropout()
    {
        using var scope = NewDisposeScope();
        var options = new ComposedNetworkOptions { EmbeddingDimension = 32, Heads = 4, EqualizedStyleLinears = false, TextDropout = 0.5 };
        using var network = RandomizedNetwork(64, 48, options, seed: 14);
        using var snapshot = network.ToInference();
        var folded = snapshot.Composer;
        using var inference = inference_mode();
        var (maps, sentences) = (Maps(3, 64, 4, 4), randn(3, 48));

        Assert.InRange(FoldedResNetTests.RelativeError(folded.forward(maps, sentences), network.ComposeFromFeatures(maps, sentences)), 0, 1e-5);
    }

    [Fact]
    public void MatchesComposeFromFeaturesInFloat64ToRounding()
    {
        using var scope = NewDisposeScope();
        using var network = RandomizedNetwork(64, 48, new ComposedNetworkOptions { EmbeddingDimension = 32, Heads = 4 }, seed: 12);
        network.to(ScalarType.Float64);
        using var snapshot = network.ToInference();
        var folded = snapshot.Composer;
        using var noGrad = no_grad();
        var (maps, sentences) = (Maps(2, 64, 4, 4).to(ScalarType.Float64), randn(2, 48, dtype: ScalarType.Float64));

        var expected = network.ComposeFromFeatures(maps, sentences);
        var actual = folded.forward(maps, sentences);

        Assert.Equal(ScalarType.Float64, actual.dtype);
        Assert.InRange(actual.sub(expected).abs().max().item<double>(), 0, 1e-12);
        // No float64 weight is shared with the network (no type conversion copies them).
        foreach (var parameter in network.parameters()) parameter.add_(0.1);
        Assert.True(folded.forward(maps, sentences).equal(actual).all().item<bool>());
    }

    [Fact]
    public void IsASnapshotThatLeavesTheNetworkAsItIs()
    {
        using var scope = NewDisposeScope();
        using var network = RandomizedNetwork(64, 48, new ComposedNetworkOptions { EmbeddingDimension = 32, Heads = 4 }, seed: 13);
        var before = network.state_dict().ToDictionary(e => e.Key, e => e.Value.clone());
        using var snapshot = network.ToInference();
        var folded = snapshot.Composer;
        var (maps, sentences) = (Maps(2, 64, 3, 3), randn(2, 48));
        var first = folded.forward(maps, sentences).detach();

        Assert.All(before, e => Assert.True(e.Value.equal(network.state_dict()[e.Key]).all().item<bool>(), e.Key));
        Assert.DoesNotContain(network.parameters(), p => !p.requires_grad);
        Assert.Empty(folded.parameters());
        Assert.DoesNotContain(folded.buffers(), b => b.requires_grad);

        // Training the network afterwards does not reach the snapshot.
        using (no_grad())
            foreach (var parameter in network.parameters()) parameter.add_(0.1);
        Assert.True(folded.forward(maps, sentences).equal(first).all().item<bool>());
        Assert.False(network.ComposeFromFeatures(maps, sentences).allclose(first));
    }

    [Fact]
    public void CannotBePutInTrainingMode()
    {
        using var network = new ComposedRetrievalNetwork(16, 8, new ComposedNetworkOptions { EmbeddingDimension = 8, Heads = 2 });
        using var snapshot = network.ToInference();
        var folded = snapshot.Composer;
        var error = Assert.Throws<InvalidOperationException>(() => folded.train());
        Assert.Contains("inference only", error.Message);
    }

    [Fact]
    public void RejectsSentenceFeaturesOfTheWrongWidthNamingTheShapes()
    {
        using var scope = NewDisposeScope();
        using var network = new ComposedRetrievalNetwork(16, 8, new ComposedNetworkOptions { EmbeddingDimension = 8, Heads = 2 });
        using var snapshot = network.ToInference();
        var folded = snapshot.Composer;
        var error = Assert.Throws<ArgumentException>(() => folded.forward(randn(2, 16, 3, 3), randn(2, 9)));
        Assert.Contains("[2, 9]", error.Message);
        Assert.Contains("[B, 8]", error.Message);
    }
}
