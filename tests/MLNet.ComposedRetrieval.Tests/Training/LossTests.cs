using MLNet.ComposedRetrieval.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Training;

public class LossTests
{
    [Fact]
    public void InfoNceScoresQueryToTargetRowsAgainstTheDiagonal()
    {
        using var scope = NewDisposeScope();
        // logits = query @ target^T = [[2, 2], [0, 1]]: row 0 loses ln 2, row 1 loses ln(1 + e^-1).
        // The transposed direction (target -> query) would give ln(1 + e^-2) and ln(1 + e) instead.
        var query = tensor(new double[,] { { 2, 0 }, { 0, 1 } });
        var target = tensor(new double[,] { { 1, 0 }, { 1, 1 } });

        var loss = InfoNce.Compute(query, target).ToDouble();

        Assert.Equal((Math.Log(2) + Math.Log(1 + Math.Exp(-1))) / 2, loss, 1e-15);
    }

    [Fact]
    public void InfoNceRejectsMismatchedShapes()
    {
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => InfoNce.Compute(zeros(3, 4), zeros(2, 4)));
        Assert.Contains("[3, 4]", error.Message);
        Assert.Contains("[2, 4]", error.Message);
    }

    [Theory]
    [InlineData(1.0, 60, 0, 1.0)]
    [InlineData(1.0, 60, 30, 0.60653065971263342)] // exp(-0.5)
    [InlineData(1.0, 50, 10, 0.81873075307798182)] // exp(-0.2)
    [InlineData(2.0, 10, 5, 0.36787944117144233)]  // exp(-1)
    [InlineData(0.0, 10, 9, 1.0)]
    public void GammaFollowsTheExponentialSchedule(double gamma0, int totalEpochs, int epoch, double expected)
    {
        Assert.Equal(expected, new GammaSchedule(gamma0, totalEpochs).At(epoch), 1e-15);
    }

    [Fact]
    public void GammaRejectsBadArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new GammaSchedule(1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GammaSchedule(-1, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GammaSchedule(1, 10).At(-1));
    }

    [Fact]
    public void BaselineIsExactlyInfoNceAndDrawsNoNoise()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(1);
        var query = randn(6, 5, dtype: ScalarType.Float64, generator: generator).requires_grad_();
        var target = randn(6, 5, dtype: ScalarType.Float64, generator: generator).requires_grad_();
        var loss = new ComposedRetrievalLoss(new LossOptions { UseUncertainty = false }, new FixedNoiseSource());

        using var result = loss.Compute(query, target, epoch: 0, totalEpochs: 60);
        result.Total.backward();

        var queryGradient = query.grad!.clone();
        query.grad!.zero_();
        InfoNce.Compute(query, target).backward();
        Assert.Equal(InfoNce.Compute(query, target).ToDouble(), result.Total.ToDouble());
        Assert.Equal(result.InfoNce.ToDouble(), result.Total.ToDouble());
        Assert.True(queryGradient.eq(query.grad!).all().item<bool>());
        Assert.Null(result.Uncertainty);
        Assert.Null(result.Sigma);
        Assert.Equal(0, result.Gamma);
    }

    [Fact]
    public void TotalIsTheGammaWeightedSumOfItsParts()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(3);
        var query = randn(4, 16, generator: generator);
        var target = randn(4, 16, generator: generator);
        using var noise = new TorchNoiseSource(seed: 5);
        var loss = new ComposedRetrievalLoss(new LossOptions(), noise);

        using var result = loss.Compute(query, target, epoch: 20, totalEpochs: 40);

        var gamma = Math.Exp(-0.5);
        Assert.Equal(gamma, result.Gamma, 1e-15);
        Assert.Equal(gamma * result.Uncertainty!.ToDouble() + (1 - gamma) * result.InfoNce.ToDouble(), result.Total.ToDouble(), 1e-5);
        Assert.Equal(InfoNce.Compute(query, target).ToDouble(), result.InfoNce.ToDouble());
    }

    [Fact]
    public void TorchNoiseSourceIsReproducibleBySeed()
    {
        using var scope = NewDisposeScope();
        using var first = new TorchNoiseSource(seed: 42);
        using var second = new TorchNoiseSource(seed: 42);
        using var other = new TorchNoiseSource(seed: 43);

        var a = first.StandardNormal([200, 50], ScalarType.Float32, CPU);
        var b = second.StandardNormal([200, 50], ScalarType.Float32, CPU);
        var c = other.StandardNormal([200, 50], ScalarType.Float32, CPU);
        var next = first.StandardNormal([200, 50], ScalarType.Float32, CPU);

        Assert.Equal(new long[] { 200, 50 }, a.shape);
        Assert.Equal(ScalarType.Float32, a.dtype);
        Assert.True(a.eq(b).all().item<bool>());
        Assert.False(a.eq(c).all().item<bool>());
        Assert.False(a.eq(next).all().item<bool>());
        Assert.InRange(a.mean().ToDouble(), -0.05, 0.05);
        Assert.InRange(a.std().ToDouble(), 0.95, 1.05);
    }

    [Fact]
    public void FixedNoiseSourceReturnsItsDrawsInOrderAndThenFails()
    {
        using var scope = NewDisposeScope();
        var noise = new FixedNoiseSource(full(2, 3, 1.0), full(2, 3, 2.0));

        var first = noise.StandardNormal([2, 3], ScalarType.Float64, CPU);
        Assert.Throws<InvalidOperationException>(() => noise.StandardNormal([3, 2], ScalarType.Float64, CPU));
        var exhausted = Assert.Throws<InvalidOperationException>(() => noise.StandardNormal([2, 3], ScalarType.Float64, CPU));

        Assert.Equal(ScalarType.Float64, first.dtype);
        Assert.Equal(1.0, first.mean().ToDouble());
        Assert.Contains("no draw left", exhausted.Message);
    }

    [Fact]
    public void AugmenterWithoutNoiseReturnsWhitenedRowsShiftedByTheirMean()
    {
        using var scope = NewDisposeScope();
        var target = tensor(new double[,] { { 1, 2, 3, 6 }, { -1, 0, 0, 5 } }).requires_grad_();
        var augmenter = new TargetAugmenter(1, 1, new FixedNoiseSource(zeros(2, 4, dtype: ScalarType.Float64), zeros(2, 4, dtype: ScalarType.Float64)));

        var augmented = augmenter.Augment(target);

        // eps = eps' = 0: alpha = 1, beta = row mean, so f_aug = whitened + mean.
        var mean = target.mean([1], keepdim: true);
        var whitened = (target - mean) / (target.var(1, unbiased: false, keepdim: true) + 1e-5).sqrt();
        Assert.True(augmented.allclose(whitened + mean, rtol: 1e-12, atol: 1e-12));
        Assert.True(augmented.requires_grad);
    }

    [Fact]
    public void BadLossOptionsFailAtConstruction()
    {
        using var noise = new TorchNoiseSource(seed: 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ComposedRetrievalLoss(new LossOptions { Gamma0 = -1 }, noise));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ComposedRetrievalLoss(new LossOptions { W1 = double.NaN }, noise));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ComposedRetrievalLoss(new LossOptions(), noise).Compute(zeros(2, 3), zeros(2, 3), 0, 0));
    }
}
