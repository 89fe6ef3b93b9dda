using MLNet.ComposedRetrieval.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Training;

public class OptimisationTests
{
    private static readonly LearningRateSchedule FashionIq = new(0.02, decayEpochs: [35, 42]);

    [Theory]
    [InlineData(0.0, 0.0002)]          // warm-up starts at 0.01 x lr
    [InlineData(0.5, 0.00218)]         // 0.02 x (0.01 + 0.99 x 0.5 / 5), mid-epoch progress
    [InlineData(2.5, 0.0101)]          // 0.02 x (0.01 + 0.99 x 0.5)
    [InlineData(4.0, 0.01604)]         // last warm-up epoch: 0.02 x (0.01 + 0.99 x 0.8)
    [InlineData(5.0, 0.02)]            // warm-up done
    [InlineData(34.99, 0.02)]
    [InlineData(35.0, 0.002)]          // first decay
    [InlineData(41.5, 0.002)]
    [InlineData(42.0, 0.0002)]         // second decay
    [InlineData(59.9, 0.0002)]
    public void ScheduleWarmsUpThenDecays(double epochProgress, double expected)
    {
        Assert.Equal(expected, FashionIq.At(epochProgress), 1e-15);
    }

    [Fact]
    public void ScheduleStepOverloadUsesTheShareOfTheEpochDone()
    {
        Assert.Equal(FashionIq.At(1.25), FashionIq.At(epoch: 1, step: 8, stepsPerEpoch: 32));
        Assert.Throws<ArgumentOutOfRangeException>(() => FashionIq.At(epoch: 1, step: 32, stepsPerEpoch: 32));
    }

    [Fact]
    public void ScheduleWithoutDecayOrWarmupIsConstant()
    {
        var noDecay = new LearningRateSchedule(0.04, decayEpochs: []);
        var noWarmup = new LearningRateSchedule(0.04, decayEpochs: [10], warmupEpochs: 0);

        Assert.Equal(0.0004, noDecay.At(0), 1e-15);
        Assert.Equal(0.04, noDecay.At(59), 1e-15);
        Assert.Equal(0.04, noWarmup.At(0), 1e-15);
        Assert.Equal(0.004, noWarmup.At(10), 1e-15);
    }

    [Fact]
    public void ScheduleRejectsBadSettings()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LearningRateSchedule(0, []));
        var inWarmup = Assert.Throws<ArgumentException>(() => new LearningRateSchedule(0.1, [3]));
        Assert.Contains("Decay epoch 3", inWarmup.Message);
        var twice = Assert.Throws<ArgumentException>(() => new LearningRateSchedule(0.1, [40, 40]));
        Assert.Contains("twice", twice.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => FashionIq.At(-0.1));
    }

    [Fact]
    public void GroupsGetTheBaseRateTimesTheirMultiplier()
    {
        using var scope = NewDisposeScope();
        var encoder = new Parameter(zeros(2));
        var head = new Parameter(zeros(3));
        using var sgd = new GroupedSgd(
            [new ParameterGroup("text encoder", [encoder], 0.01), new ParameterGroup("rest", [head])],
            baseLearningRate: FashionIq.At(0));

        Assert.Equal(0.9, sgd.Momentum);
        Assert.Equal(5e-5, sgd.WeightDecay);
        Assert.Equal([0.000002, 0.0002], sgd.LearningRates.ToArray(), new ToleranceComparer(1e-18));

        sgd.ApplyLearningRate(FashionIq, 35);

        Assert.Equal([0.00002, 0.002], sgd.LearningRates.ToArray(), new ToleranceComparer(1e-18));
    }

    [Fact]
    public void TwoStepsEqualPyTorchsMomentumAndWeightDecayUpdate()
    {
        using var scope = NewDisposeScope();
        var p = new Parameter(tensor(new[] { 1.0, -2.0 }));
        var c = tensor(new[] { 0.5, 3.0 });
        using var sgd = new GroupedSgd([new ParameterGroup("only", [p])], baseLearningRate: 0.1, momentum: 0.9, weightDecay: 0.01);

        // PyTorch, by hand, with d(p . c)/dp = c:
        // step 1: g1 = c + 0.01 p = [0.51, 2.98]; buffer = g1; p1 = p - 0.1 g1 = [0.949, -2.298]
        // step 2: g2 = c + 0.01 p1 = [0.50949, 2.97702]; buffer = 0.9 g1 + g2 = [0.96849, 5.65902];
        //         p2 = p1 - 0.1 buffer = [0.852151, -2.863902]
        Step(sgd, p, c);
        Assert.Equal([0.949, -2.298], p.data<double>().ToArray(), new ToleranceComparer(1e-15));
        Step(sgd, p, c);
        Assert.Equal([0.852151, -2.863902], p.data<double>().ToArray(), new ToleranceComparer(1e-15));
    }

    [Fact]
    public void EachGroupStepsWithItsOwnRate()
    {
        using var scope = NewDisposeScope();
        var slow = new Parameter(ones(1, dtype: ScalarType.Float64));
        var fast = new Parameter(ones(1, dtype: ScalarType.Float64));
        using var sgd = new GroupedSgd(
            [new ParameterGroup("slow", [slow], 0.01), new ParameterGroup("fast", [fast])],
            baseLearningRate: 1, momentum: 0.9, weightDecay: 0);
        sgd.ApplyLearningRate(0.5);

        sgd.ZeroGrad();
        (slow.sum() + fast.sum()).backward();
        sgd.Step();

        Assert.Equal(1 - 0.005, slow.ToDouble(), 1e-15);
        Assert.Equal(1 - 0.5, fast.ToDouble(), 1e-15);
    }

    [Fact]
    public void GroupsRejectEmptyOrSharedParameters()
    {
        using var scope = NewDisposeScope();
        var p = new Parameter(zeros(1));
        var empty = Assert.Throws<ArgumentException>(() => new GroupedSgd([new ParameterGroup("head", [])], 0.1));
        Assert.Contains("'head' has no parameters", empty.Message);
        var shared = Assert.Throws<ArgumentException>(() => new GroupedSgd([new ParameterGroup("a", [p]), new ParameterGroup("b", [p])], 0.1));
        Assert.Contains("already in group 'a'", shared.Message);
    }

    private static void Step(GroupedSgd sgd, Parameter p, Tensor c)
    {
        sgd.ZeroGrad();
        (p * c).sum().backward();
        sgd.Step();
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double obj) => 0;
    }
}
