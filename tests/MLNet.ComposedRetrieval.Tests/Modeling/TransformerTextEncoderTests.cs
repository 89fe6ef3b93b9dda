using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Modeling;

public class TransformerTextEncoderTests
{
    private sealed class NoTokenizer : ITextTokenizer
    {
        public int PaddingId => 0;
        public IReadOnlyList<int> Encode(string text, int maxLength) => throw new NotSupportedException();
    }

    private static readonly TransformerOptions TinyBert = TransformerOptions.MiniLmL6 with
    {
        VocabularySize = 40, HiddenSize = 8, LayerCount = 2, HeadCount = 2, IntermediateSize = 16, MaxPositions = 12,
    };

    private static readonly TransformerOptions TinyRoberta = TransformerOptions.RobertaBase with
    {
        VocabularySize = 40, HiddenSize = 8, LayerCount = 2, HeadCount = 2, IntermediateSize = 16, MaxPositions = 12,
    };

    private static TransformerTextEncoder Create(TransformerOptions options)
    {
        torch.manual_seed(7);
        var encoder = new TransformerTextEncoder(options, new NoTokenizer());
        encoder.eval();
        return encoder;
    }

    [Fact]
    public void ParameterNamesAndShapesAreHuggingFaces()
    {
        using var encoder = Create(TinyBert);
        var expected = new Dictionary<string, long[]>
        {
            ["embeddings.word_embeddings.weight"] = [40, 8],
            ["embeddings.position_embeddings.weight"] = [12, 8],
            ["embeddings.token_type_embeddings.weight"] = [2, 8],
            ["embeddings.LayerNorm.weight"] = [8],
            ["embeddings.LayerNorm.bias"] = [8],
        };
        for (var i = 0; i < 2; i++)
        {
            var p = $"encoder.layer.{i}.";
            foreach (var name in new[] { "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense" })
            {
                expected[p + name + ".weight"] = [8, 8];
                expected[p + name + ".bias"] = [8];
            }
            expected[p + "intermediate.dense.weight"] = [16, 8];
            expected[p + "intermediate.dense.bias"] = [16];
            expected[p + "output.dense.weight"] = [8, 16];
            expected[p + "output.dense.bias"] = [8];
            foreach (var norm in new[] { "attention.output.LayerNorm", "output.LayerNorm" })
            {
                expected[p + norm + ".weight"] = [8];
                expected[p + norm + ".bias"] = [8];
            }
        }

        var actual = encoder.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, shape) in expected) Assert.Equal(shape, actual[name]);
    }

    [Fact]
    public void BertPositionsCountFromZero()
    {
        using var embeddings = new TransformerEmbeddings(TinyBert);
        using var ids = tensor(new long[] { 5, 6, 7, 0, 0 }).unsqueeze(0);
        using var positions = embeddings.PositionIds(ids);
        Assert.Equal(new long[] { 0, 1, 2, 3, 4 }, positions.data<long>().ToArray());
    }

    [Fact]
    public void RobertaPositionsStartAfterPaddingIdAndPaddingKeepsIt()
    {
        using var embeddings = new TransformerEmbeddings(TinyRoberta);
        using var ids = tensor(new long[,] { { 0, 5, 6, 2, 1, 1 }, { 0, 9, 9, 9, 9, 2 } });
        using var positions = embeddings.PositionIds(ids);
        Assert.Equal(new long[] { 2, 3, 4, 5, 1, 1, 2, 3, 4, 5, 6, 7 }, positions.data<long>().ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PaddingInTheBatchDoesNotChangeRealTokens(bool roberta)
    {
        var options = roberta ? TinyRoberta : TinyBert;
        using var encoder = Create(options);
        long pad = options.PaddingId;
        using var alone = tensor(new long[] { 3, 11, 12, 4 }).unsqueeze(0);
        using var aloneMask = ones_like(alone);
        using var batch = tensor(new long[,] { { 3, 11, 12, 4, pad, pad }, { 3, 20, 21, 22, 23, 4 } });
        using var batchMask = tensor(new long[,] { { 1, 1, 1, 1, 0, 0 }, { 1, 1, 1, 1, 1, 1 } });

        using var _ = no_grad();
        using var statesAlone = encoder.LastHiddenStates(alone, aloneMask);
        using var statesBatch = encoder.LastHiddenStates(batch, batchMask);
        using var realTokens = statesBatch[0, TensorIndex.Slice(0, 4)];
        Assert.True(statesAlone[0].allclose(realTokens, rtol: 0, atol: 1e-5));

        using var featureAlone = encoder.forward(alone, aloneMask);
        using var featureBatch = encoder.forward(batch, batchMask);
        Assert.Equal(new long[] { 2, 8 }, featureBatch.shape);
        Assert.True(featureAlone[0].allclose(featureBatch[0], rtol: 0, atol: 1e-5));
    }

    [Fact]
    public void MaskedMeanPoolsRealTokensOnlyAndFirstTokenTakesPositionZero()
    {
        using var encoder = Create(TinyBert);
        using var hidden = arange(2 * 3 * 2, dtype: ScalarType.Float32).reshape(2, 3, 2);
        using var mask = tensor(new long[,] { { 1, 1, 0 }, { 1, 1, 1 } });
        using var mean = encoder.Pool(hidden, mask);
        Assert.Equal(new float[] { 1, 2, 8, 9 }, mean.data<float>().ToArray());

        using var first = Create(TinyBert with { Pooling = SentencePooling.FirstToken });
        using var cls = first.Pool(hidden, mask);
        Assert.Equal(new float[] { 0, 1, 6, 7 }, cls.data<float>().ToArray());
    }

    [Fact]
    public void TooLongSequenceIsRejectedWithTheLimit()
    {
        using var encoder = Create(TinyRoberta);
        using var ids = ones(1, 11, dtype: ScalarType.Int64);
        var error = Assert.Throws<ArgumentException>(() => encoder.forward(ids, ones_like(ids)));
        Assert.Contains("maximum of 10", error.Message);
    }

    [Fact]
    public void HeadCountMustDivideHiddenSize()
    {
        var error = Assert.Throws<ArgumentException>(() => new TransformerTextEncoder(TinyBert with { HeadCount = 3 }, new NoTokenizer()));
        Assert.Contains("HeadCount 3", error.Message);
    }
}
