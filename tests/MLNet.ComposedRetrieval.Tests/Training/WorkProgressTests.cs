using MLNet.ComposedRetrieval.Training;

namespace MLNet.ComposedRetrieval.Tests.Training;

public class WorkProgressTests
{
    [Fact]
    public void RemainingTimeFollowsThePaceSoFar()
    {
        var progress = new WorkProgress("image features", 25, 100, TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.FromSeconds(30), progress.Remaining);
        Assert.Equal("image features: 25/100 (25%), 0:10 elapsed, ETA 0:30", progress.ToString());
        Assert.Null(new WorkProgress("x", 0, 10, TimeSpan.FromSeconds(1)).Remaining);
        Assert.Null(new WorkProgress("x", 10, 10, TimeSpan.FromSeconds(1)).Remaining);
    }
}
