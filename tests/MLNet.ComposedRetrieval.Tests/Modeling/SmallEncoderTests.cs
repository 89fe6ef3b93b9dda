using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Modeling;

public class SmallEncoderTests
{
    [Theory]
    [InlineData(32)]
    [InlineData(64)]
    public void SmallBackboneGivesA64By4By4Map(int inputSize)
    {
        using var scope = NewDisposeScope();
        var backbone = new SmallConvBackbone(inputSize);
        backbone.eval();
        Assert.Equal(new long[] { 2, 64, 4, 4 }, backbone.forward(randn(2, 3, inputSize, inputSize)).shape);
        Assert.Equal(64, backbone.OutputChannels);
        Assert.Equal((inputSize, inputSize), (backbone.Preprocessing.Width, backbone.Preprocessing.Height));
        Assert.Equal(1f / 255f, backbone.Preprocessing.Scale);
        Assert.Equal(new[] { 0.5f, 0.5f, 0.5f }, backbone.Preprocessing.Mean);
        Assert.Equal(new[] { 0.5f, 0.5f, 0.5f }, backbone.Preprocessing.Std);
        Assert.False(backbone.Preprocessing.Bgr);
    }

    [Fact]
    public void SmallBackboneRejectsAnInputSizeItCannotReduce()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SmallConvBackbone(inputSize: 20));
    }

    [Fact]
    public void SmallTextEncoderIgnoresPaddingAndGivesZeroForAnEmptySentence()
    {
        using var scope = NewDisposeScope();
        manual_seed(8);
        var encoder = SmallEncoders.TextEncoder();
        encoder.eval();
        var tokenizer = encoder.Tokenizer;
        var (shortIds, shortMask) = TokenBatch.Encode(tokenizer, ["is red and shorter"], maxLength: 16);
        var (paddedIds, paddedMask) = TokenBatch.Encode(tokenizer, ["is red and shorter", "make it blue with long sleeves please", ""], maxLength: 16);

        var alone = encoder.forward(shortIds, shortMask);
        var padded = encoder.forward(paddedIds, paddedMask);
        Assert.Equal(new long[] { 3, 32 }, padded.shape);
        Assert.True(alone[0].allclose(padded[0], rtol: 1e-5, atol: 1e-6), "padding must not change a sentence's feature");
        Assert.False(padded.isnan().any().item<bool>());
        Assert.Equal(0f, padded[2].abs().sum().item<float>());
    }

    [Fact]
    public void SmallTextEncoderSeesWordOrder()
    {
        using var scope = NewDisposeScope();
        manual_seed(9);
        var encoder = SmallEncoders.TextEncoder();
        encoder.eval();
        var (ids, mask) = TokenBatch.Encode(encoder.Tokenizer, ["red not blue", "blue not red"], maxLength: 16);
        var features = encoder.forward(ids, mask);
        Assert.False(features[0].allclose(features[1], rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void SmallTextEncoderRunsInFloat64AndRejectsTooLongInput()
    {
        using var scope = NewDisposeScope();
        var encoder = SmallEncoders.TextEncoder().to(ScalarType.Float64);
        encoder.eval();
        var (ids, mask) = TokenBatch.Encode(encoder.Tokenizer, SmallEncoders.Sentences, maxLength: 16);
        Assert.Equal(ScalarType.Float64, encoder.forward(ids, mask).dtype);
        var tooLong = zeros(1, 17, dtype: ScalarType.Int64);
        Assert.Throws<ArgumentException>(() => encoder.forward(tooLong, tooLong));
    }
}
