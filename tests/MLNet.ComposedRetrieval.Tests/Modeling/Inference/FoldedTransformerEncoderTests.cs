using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Modeling;
using MLNet.ComposedRetrieval.Modeling.Inference;
using MLNet.ComposedRetrieval.Pretrained;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Modeling.Inference;

public class FoldedTransformerEncoderTests
{
    private sealed class NoTokenizer : ITextTokenizer
    {
        public int PaddingId => 0;
        public IReadOnlyList<int> Encode(string text, int maxLength) => throw new NotSupportedException();
    }

    /// <summary>A small encoder of the given family with every parameter random (fresh LayerNorms and biases are 1 and
    /// 0, which would hide a mixed-up parameter).</summary>
    private static TransformerTextEncoder RandomEncoder(TransformerOptions family, int seed)
    {
        manual_seed(seed);
        var options = family with { VocabularySize = 50, HiddenSize = 16, LayerCount = 2, HeadCount = 4, IntermediateSize = 32, MaxPositions = 16 };
        var encoder = new TransformerTextEncoder(options, new NoTokenizer());
        using (no_grad())
            foreach (var parameter in encoder.parameters()) parameter.copy_(randn(parameter.shape).mul_(0.5));
        encoder.eval();
        return encoder;
    }

    /// <summary>Three sequences of different lengths, padded: ids [3, 7] and mask.</summary>
    private static (Tensor Ids, Tensor Mask) PaddedBatch(int paddingId)
    {
        var mask = tensor(new long[,] { { 1, 1, 1, 1, 1, 1, 1 }, { 1, 1, 1, 0, 0, 0, 0 }, { 1, 1, 1, 1, 1, 0, 0 } });
        var ids = randint(paddingId + 1, 50, [3, 7]).where(mask.ne(0), paddingId);
        return (ids, mask);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MatchesTheEncoderOnAPaddedBatch(bool roberta)
    {
        using var scope = NewDisposeScope();
        using var encoder = RandomEncoder(roberta ? TransformerOptions.RobertaBase : TransformerOptions.MiniLmL6, seed: 21);
        using var folded = encoder.ToInference();
        using var inference = inference_mode();
        var (ids, mask) = PaddedBatch(encoder.Options.PaddingId);

        var expected = encoder.forward(ids, mask);
        var actual = folded.forward(ids, mask);

        Assert.Equal(expected.shape, actual.shape);
        Assert.InRange(FoldedResNetTests.RelativeError(actual, expected), 0, 1e-5);
    }

    [Fact]
    public void MatchesMiniLmOnRealTextsAloneAndInABatch()
    {
        using var scope = NewDisposeScope();
        using var encoder = MiniLm.Create();
        encoder.eval();
        using var folded = encoder.ToInference();
        using var inference = inference_mode();
        string[] texts = ["replace black with pink", "is shorter and has long sleeves, more colourful and less formal", "red"];

        foreach (var batch in texts.Select(text => new[] { text }).Append(texts))
        {
            var (ids, mask) = TokenBatch.Encode(encoder.Tokenizer, batch, maxLength: 64);
            var error = FoldedResNetTests.RelativeError(folded.forward(ids, mask), encoder.forward(ids, mask));
            Assert.True(error <= 1e-5, $"relative error {error:E2} on [{string.Join(" | ", batch)}]");
        }
    }

    [Fact]
    public void IsASnapshotThatCannotTrain()
    {
        using var scope = NewDisposeScope();
        using var encoder = RandomEncoder(TransformerOptions.MiniLmL6, seed: 22);
        using var folded = encoder.ToInference();
        var (ids, mask) = PaddedBatch(0);
        var first = folded.forward(ids, mask).detach();

        using (no_grad())
            foreach (var parameter in encoder.parameters()) parameter.add_(0.1);

        Assert.True(folded.forward(ids, mask).equal(first).all().item<bool>());
        Assert.Empty(folded.parameters());
        Assert.DoesNotContain(encoder.parameters(), p => !p.requires_grad);
        Assert.Throws<InvalidOperationException>(() => folded.train());
    }
}
