using MLNet.ComposedRetrieval.Modeling;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Modeling;

public class TextProjectionTests
{
    [Fact]
    public void MapsTheSentenceWidthToTheOutputWidthWithoutNormalising()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        var projection = new TextProjection(inDimension: 12, outDimension: 20);
        var projected = projection.forward(randn(6, 12).mul(3).add(1));
        Assert.Equal(new long[] { 6, 20 }, projected.shape);
        var norms = projected.norm(1).data<float>().ToArray();
        Assert.True(norms.Max() - norms.Min() > 1e-3, "rows should keep their own norms (no L2 normalisation)");
    }

    [Fact]
    public void BatchNormUsesBatchStatisticsInTrainingAndRunningOnesInEval()
    {
        using var scope = NewDisposeScope();
        var projection = new TextProjection(inDimension: 4, outDimension: 3);
        var batch = randn(8, 4).mul(5).add(10);
        projection.train();
        var training = projection.forward(batch);
        projection.eval();
        var evaluation = projection.forward(batch);
        // Why they differ: after one step the running mean has moved only 10% of the way to the batch mean.
        Assert.False(training.allclose(evaluation, rtol: 1e-3, atol: 1e-3));
    }

    [Fact]
    public void RejectsTheWrongWidthNamingBothShapes()
    {
        using var scope = NewDisposeScope();
        var projection = new TextProjection(inDimension: 12, outDimension: 20);
        var error = Assert.Throws<ArgumentException>(() => projection.forward(randn(3, 11)));
        Assert.Contains("[B, 12]", error.Message);
        Assert.Contains("[3, 11]", error.Message);
    }
}
