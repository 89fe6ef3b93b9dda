using MLNet.ComposedRetrieval.Retrieval;

namespace MLNet.ComposedRetrieval.Tests.Retrieval;

public class RunningTopKTests
{
    [Fact]
    public void KeepsTheBestOfEveryChunkWithTiesToTheEarlierPosition()
    {
        var best = new RunningTopK([-1, 2], capacity: 3);
        // Two queries, rows 12 apart in the buffer (only the first 10 values of each are scores).
        float[] first = [.. Row(5, 1, 9, 5, 3, 0, 0, 0, 0, 5), 99, 99, .. Row(1, 2, 8, 3, 3, 3, 3, 3, 3, 3), 99, 99];
        best.Offer(first, rowStride: 12, length: 10, firstPosition: 0);
        float[] second = [.. Row(9, 5, 7, 0, 0, 0, 0, 0, 0, 0), .. Row(8, 0, 0, 0, 0, 0, 0, 0, 0, 3)];
        best.Offer(second, rowStride: 10, length: 10, firstPosition: 10);

        var (positions0, scores0) = best.Drain(0);
        var (positions1, scores1) = best.Drain(1);

        Assert.Equal([2, 10, 12], positions0); // 9 at 2 ranks before the later 9 at 10; 7 beats every 5
        Assert.Equal([9f, 9f, 7f], scores0);
        Assert.Equal([10, 3, 4], positions1);  // position 2 (score 8) is excluded; 3s tie, the first two win
        Assert.Equal([8f, 3f, 3f], scores1);
    }

    [Fact]
    public void ReturnsFewerThanKWhenTheGalleryIsSmaller()
    {
        var best = new RunningTopK([1], capacity: 5);
        best.Offer([0.5f, 2f, 1f], rowStride: 3, length: 3, firstPosition: 0);

        var (positions, scores) = best.Drain(0);

        Assert.Equal([2, 0], positions);
        Assert.Equal([1f, 0.5f], scores);
    }

    [Fact]
    public void RowsThatDoNotFitTheBufferAreRejected()
    {
        var best = new RunningTopK([-1, -1], capacity: 2);
        Assert.Throws<ArgumentException>(() => best.Offer(new float[15], rowStride: 8, length: 8, firstPosition: 0));
        Assert.Throws<ArgumentException>(() => best.Offer(new float[20], rowStride: 4, length: 5, firstPosition: 0));
    }

    private static float[] Row(params float[] values) => values;
}
