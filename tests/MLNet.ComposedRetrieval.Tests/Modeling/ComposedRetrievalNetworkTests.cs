using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Modeling;

public class ComposedRetrievalNetworkTests
{
    [Fact]
    public void SmallEncodersEndToEndGiveNorm4QueryAndTargetFeaturesAndGradientsEverywhere()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var network = new ComposedRetrievalNetwork(new SmallConvBackbone(inputSize: 32), SmallEncoders.TextEncoder());
        network.train();
        var (ids, mask) = TokenBatch.Encode(network.TextEncoder!.Tokenizer, SmallEncoders.Sentences, maxLength: 16);

        var queries = network.ComposeQueries(randn(4, 3, 32, 32), ids, mask);
        var targets = network.EmbedTargets(randn(4, 3, 32, 32));

        Assert.Equal(new long[] { 4, 512 }, queries.shape);
        Assert.Equal(new long[] { 4, 512 }, targets.shape);
        Assert.All(queries.norm(1).data<float>().ToArray(), n => Assert.Equal(4.0, n, 4));
        Assert.All(targets.norm(1).data<float>().ToArray(), n => Assert.Equal(4.0, n, 4));

        // An InfoNCE-like loss must reach every trainable parameter, encoders included.
        nn.functional.cross_entropy(queries.matmul(targets.T), arange(4)).backward();
        var withoutGradient = network.named_parameters()
            .Where(p => p.parameter.grad is null || p.parameter.grad.abs().sum().item<float>() == 0)
            .Select(p => p.name)
            .ToList();
        Assert.Empty(withoutGradient);
        Assert.Contains(network.named_parameters(), p => p.name.StartsWith("image_backbone.", StringComparison.Ordinal));
        Assert.Contains(network.named_parameters(), p => p.name == "compositor.residual_weights");
    }

    [Fact]
    public void PrecomputedFeatureModeMatchesTheFullNetworkOnTheSameFeatures()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var full = new ComposedRetrievalNetwork(new SmallConvBackbone(inputSize: 32), SmallEncoders.TextEncoder());
        full.eval();
        var (ids, mask) = TokenBatch.Encode(full.TextEncoder!.Tokenizer, SmallEncoders.Sentences, maxLength: 16);
        var images = randn(4, 3, 32, 32);
        var maps = full.EncodeImages(images);
        var sentences = full.EncodeText(ids, mask);

        var cached = new ComposedRetrievalNetwork(backboneChannels: 64, textFeatureDimension: 32);
        var upper = full.state_dict().Where(kv => !kv.Key.StartsWith("image_backbone.") && !kv.Key.StartsWith("text_encoder."))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        var (missing, unexpected) = cached.load_state_dict(upper, strict: true);
        Assert.Empty(missing);
        Assert.Empty(unexpected);
        cached.eval();

        Assert.Null(cached.ImageBackbone);
        Assert.Null(cached.TextEncoder);
        Assert.True(cached.ComposeFromFeatures(maps, sentences).allclose(full.ComposeQueries(images, ids, mask), rtol: 1e-5, atol: 1e-6));
        Assert.True(cached.EmbedTargetMaps(maps).allclose(full.EmbedTargets(images), rtol: 1e-5, atol: 1e-6));
        var error = Assert.Throws<InvalidOperationException>(() => cached.EncodeImages(images));
        Assert.Contains("no image backbone", error.Message);
        Assert.Throws<InvalidOperationException>(() => cached.EncodeText(ids, mask));
    }

    [Fact]
    public void ConvertsToFloat64()
    {
        using var scope = NewDisposeScope();
        var network = new ComposedRetrievalNetwork(new SmallConvBackbone(inputSize: 32), SmallEncoders.TextEncoder(),
            new ComposedNetworkOptions { EmbeddingDimension = 24, Heads = 4 }).to(ScalarType.Float64);
        network.eval();
        Assert.All(network.parameters(), p => Assert.Equal(ScalarType.Float64, p.dtype));
        var (ids, mask) = TokenBatch.Encode(network.TextEncoder!.Tokenizer, SmallEncoders.Sentences[..2], maxLength: 16);
        var queries = network.ComposeQueries(randn(2, 3, 32, 32, dtype: ScalarType.Float64), ids, mask);
        Assert.Equal(ScalarType.Float64, queries.dtype);
        Assert.Equal(new long[] { 2, 24 }, queries.shape);
        Assert.All(queries.norm(1).data<double>().ToArray(), n => Assert.Equal(4.0, n, 12));
    }

    [Fact]
    public void RejectsEncodersThatDisagreeWithTheStatedSizes()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new ComposedRetrievalNetwork(backboneChannels: 32, textFeatureDimension: 32, imageBackbone: new SmallConvBackbone()));
        Assert.Contains("64", error.Message);
    }
}
