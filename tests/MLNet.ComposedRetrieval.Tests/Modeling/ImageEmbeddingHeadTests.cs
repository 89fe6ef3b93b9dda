using MLNet.ComposedRetrieval.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Modeling;

public class ImageEmbeddingHeadTests
{
    [Fact]
    public void EveryRowHasTheNormScaleAndTheEmbeddingWidth()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var head = new ImageEmbeddingHead(inChannels: 16, embeddingDimension: 32, normScale: 4);
        var embeddings = head.forward(randn(5, 16, 3, 4).mul(7));
        Assert.Equal(new long[] { 5, 32 }, embeddings.shape);
        var norms = embeddings.norm(1).data<float>().ToArray();
        Assert.All(norms, norm => Assert.Equal(4.0, norm, 5));
    }

    [Fact]
    public void DefaultsAreThePapers512And4AndFloat64Works()
    {
        using var scope = NewDisposeScope();
        var head = new ImageEmbeddingHead(inChannels: 8).to(ScalarType.Float64);
        var embeddings = head.forward(randn(3, 8, 2, 2, dtype: ScalarType.Float64));
        Assert.Equal(new long[] { 3, 512 }, embeddings.shape);
        Assert.Equal(ScalarType.Float64, embeddings.dtype);
        Assert.All(embeddings.norm(1).data<double>().ToArray(), norm => Assert.Equal(4.0, norm, 12));
    }

    [Fact]
    public void PoolsOverPositionsSoTheLayoutOfTheMapDoesNotMatter()
    {
        using var scope = NewDisposeScope();
        var head = new ImageEmbeddingHead(inChannels: 6, embeddingDimension: 10);
        var map = randn(2, 6, 3, 3);
        var shuffled = map.flatten(2).flip(2).reshape(2, 6, 3, 3);
        Assert.True(head.forward(map).allclose(head.forward(shuffled), rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void RejectsAFlatInputNamingTheShape()
    {
        using var scope = NewDisposeScope();
        var head = new ImageEmbeddingHead(inChannels: 6, embeddingDimension: 10);
        var error = Assert.Throws<ArgumentException>(() => head.forward(randn(2, 6)));
        Assert.Contains("[2, 6]", error.Message);
    }
}
