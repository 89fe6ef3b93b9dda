using MLNet.ComposedRetrieval.Data;
using static TorchSharp.torch;
using MLNet.ComposedRetrieval.Modeling;

namespace MLNet.ComposedRetrieval.Tests.Data;

public class TokenBatchTests
{
    [Fact]
    public void PadsToTheLongestSentenceWithAMaskOfRealTokens()
    {
        using var scope = NewDisposeScope();
        var tokenizer = WordTokenizer.Build(["red dress", "a blue dress"]);
        var (ids, mask) = TokenBatch.Encode(tokenizer, ["red dress", "a blue red dress", ""], maxLength: 3);

        Assert.Equal(new long[] { 3, 3 }, ids.shape);
        Assert.Equal(ScalarType.Int64, ids.dtype);
        Assert.Equal(ScalarType.Int64, mask.dtype);
        var dress = tokenizer.Encode("dress", 1)[0];
        var red = tokenizer.Encode("red", 1)[0];
        Assert.Equal(new long[] { red, dress, 0 }, ids[0].data<long>().ToArray());
        Assert.Equal(new long[] { 1, 1, 0 }, mask[0].data<long>().ToArray());
        Assert.Equal(new long[] { 1, 1, 1 }, mask[1].data<long>().ToArray());
        Assert.Equal(new long[] { 0, 0, 0 }, mask[2].data<long>().ToArray());
    }
}
