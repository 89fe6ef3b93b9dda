using MLNet.ComposedRetrieval.Tests.Data.Synthetic;

namespace MLNet.ComposedRetrieval.Tests.Data;

public class SyntheticShapesTaskTests
{
    [Fact]
    public void TheSameArgumentsGiveTheSameImagesAndTriplets()
    {
        var a = SyntheticShapesTask.Create(trainTriplets: 200, queries: 50, imageSize: 16, seed: 3);
        var b = SyntheticShapesTask.Create(trainTriplets: 200, queries: 50, imageSize: 16, seed: 3);
        var c = SyntheticShapesTask.Create(trainTriplets: 200, queries: 50, imageSize: 16, seed: 4);

        Assert.Equal(a.TrainTriplets, b.TrainTriplets);
        Assert.Equal(a.Queries, b.Queries);
        Assert.True(a.Images.Zip(b.Images).All(p => p.First.AsSpan().SequenceEqual(p.Second)));
        Assert.NotEqual(a.TrainTriplets, c.TrainTriplets);
    }

    [Fact]
    public void HeldOutQueriesAreUnseenCompositionsThatKeepCellAndSize()
    {
        var task = SyntheticShapesTask.Create(trainTriplets: 1000, queries: 200, imageSize: 16, seed: 1);
        var seen = task.TrainTriplets.Select(t => (t.Reference, t.Target)).ToHashSet();

        Assert.All(task.Queries, q => Assert.DoesNotContain((q.Reference, q.Target), seen));
        Assert.All(task.TrainTriplets.Concat(task.Queries), t =>
        {
            ShapeScene from = task.Scenes[t.Reference], to = task.Scenes[t.Target];
            Assert.Equal((from.Cell, from.Size), (to.Cell, to.Size));
            Assert.NotEqual(from, to);
            Assert.True(t.Text.Contains(ShapeScene.ColourNames[to.Colour]) || t.Text.Contains(ShapeScene.ShapeNames[to.Shape]), t.Text);
        });
        Assert.Equal(16 * 16 * 3, task.Images[0].Length);
    }

    [Fact]
    public void AskingForMoreTripletsThanExistIsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticShapesTask.Create(trainTriplets: 6000, queries: 10));
    }
}
