using MLNet.ComposedRetrieval.Reporting;

namespace MLNet.ComposedRetrieval.Tests.Reporting;

public class AxisTicksTests
{
    [Fact]
    public void PicksNiceStepsCoveringTheRange()
    {
        var loss = AxisTicks.For(0.95, 3.45);
        Assert.Equal((0.5, 3.5, 0.5), (loss.Min, loss.Max, loss.Step));
        Assert.Equal(["0.5", "1.0", "1.5", "2.0", "2.5", "3.0", "3.5"], loss.Values.Select(loss.Format));

        var sigma = AxisTicks.For(1.0304, 1.0313);
        Assert.Equal(0.0002, sigma.Step, 1e-15);
        Assert.Equal("1.0304", sigma.Format(sigma.Min));

        var recall = AxisTicks.For(9, 34);
        Assert.Equal((5.0, 35.0, 5.0), (recall.Min, recall.Max, recall.Step));
        Assert.Equal("10", recall.Format(10));
    }

    [Theory]
    [InlineData(1, 12, 1)]
    [InlineData(1, 1, 1)]
    [InlineData(1, 30, 2)]
    [InlineData(1, 60, 5)]
    public void EpochAxesUseWholeSteps(double first, double last, double step) =>
        Assert.Equal(step, AxisTicks.For(first, last, targetCount: 12, integers: true).Step);

    [Fact]
    public void WidensAConstantRangeAndWritesNoNegativeZero()
    {
        var constant = AxisTicks.For(1.0, 1.0);
        Assert.True(constant.Min < 1 && constant.Max > 1);

        var aroundZero = AxisTicks.For(-0.3, 0.7);
        Assert.Equal(0.25, aroundZero.Step, 1e-12);
        Assert.Contains("0.00", aroundZero.Values.Select(aroundZero.Format));
        Assert.DoesNotContain("-0.00", aroundZero.Values.Select(aroundZero.Format));
        Assert.Equal("2.5", AxisTicks.For(0, 12.5, 5).Format(2.5));
    }

    [Fact]
    public void RejectsANonFiniteRange() =>
        Assert.Throws<ArgumentException>(() => AxisTicks.For(double.NaN, 1));
}
