using MLNet.ComposedRetrieval.Data;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Data;

public class TokenBatchTests
{
    private sealed class CharacterTokenizer : ITextTokenizer
    {
        public int PaddingId => 9;
        public IReadOnlyList<int> Encode(string text, int maxLength) => text.Take(maxLength).Select(c => c - 'a').ToArray();
    }

    [Fact]
    public void PadsOnTheRightToTheLongestAndMasksThePadding()
    {
        using var batch = TokenBatch.Encode(new CharacterTokenizer(), ["abc", "a", "bcdefg"], maxLength: 4);
        Assert.Equal(new long[] { 3, 4 }, batch.Ids.shape);
        Assert.Equal(ScalarType.Int64, batch.Ids.dtype);
        Assert.Equal(ScalarType.Int64, batch.Mask.dtype);
        Assert.Equal(new long[] { 0, 1, 2, 9, 0, 9, 9, 9, 1, 2, 3, 4 }, batch.Ids.data<long>().ToArray());
        Assert.Equal(new long[] { 1, 1, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1 }, batch.Mask.data<long>().ToArray());
    }

    [Fact]
    public void RejectsEmptyBatchesAndEmptySequences()
    {
        Assert.Throws<ArgumentException>(() => TokenBatch.Pad([], paddingId: 0));
        var error = Assert.Throws<ArgumentException>(() => TokenBatch.Pad([[1, 2], []], paddingId: 0));
        Assert.Contains("Sequence 1", error.Message);
    }
}
