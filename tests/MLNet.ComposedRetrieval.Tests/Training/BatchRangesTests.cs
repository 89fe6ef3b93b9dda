using MLNet.ComposedRetrieval.Training;

namespace MLNet.ComposedRetrieval.Tests.Training;

public class BatchRangesTests
{
    [Fact]
    public void BatchesCoverEveryItemOnceInOrderWithAShortLastBatch()
    {
        var ranges = BatchRanges.Of(10, 4).Select(r => r.GetOffsetAndLength(10)).ToList();
        Assert.Equal([(0, 4), (4, 4), (8, 2)], ranges);
        Assert.Empty(BatchRanges.Of(0, 4));
        Assert.Equal([(0, 3)], BatchRanges.Of(3, 8).Select(r => r.GetOffsetAndLength(3)));
    }

    [Fact]
    public void ABatchSizeBelowOneIsRefusedAtOnce()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchRanges.Of(10, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchRanges.Of(-1, 4));
    }
}
