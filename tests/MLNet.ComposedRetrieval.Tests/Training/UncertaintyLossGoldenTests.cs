using MLNet.ComposedRetrieval.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Training;

/// <summary>
/// Every case of the golden file, with its noise injected: augmented target, s, L_info, L_u, L_total and
/// d L_total / d query, d L_total / d target, in float64 (1e-9 relative) and float32 (1e-4 relative).
/// </summary>
public class UncertaintyLossGoldenTests
{
    public static TheoryData<int, bool> Cases()
    {
        var data = new TheoryData<int, bool>();
        foreach (var golden in UncertaintyLossGolden.All)
        {
            data.Add(golden.Index, true);
            data.Add(golden.Index, false);
        }
        return data;
    }

    [Fact]
    public void GoldenFileHasTheExpectedCases()
    {
        Assert.Equal(4, UncertaintyLossGolden.All.Count);
        Assert.Contains(UncertaintyLossGolden.All, c => c.W1 != c.W2);
        Assert.Contains(UncertaintyLossGolden.All, c => c.Epoch == 0);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AugmenterMatchesGolden(int index, bool float64)
    {
        var golden = UncertaintyLossGolden.All[index];
        var (dtype, tolerance) = Precision(float64);
        using var scope = NewDisposeScope();
        var target = tensor(golden.Target, dtype);
        var augmenter = new TargetAugmenter(golden.W1, golden.W2, Noise(golden));

        var augmented = augmenter.Augment(target);

        Assert.Equal(dtype, augmented.dtype);
        AssertClose(golden.AugmentedTarget, augmented, tolerance, "augmented target");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LossValuesAndGradientsMatchGolden(int index, bool float64)
    {
        var golden = UncertaintyLossGolden.All[index];
        var (dtype, tolerance) = Precision(float64);
        using var scope = NewDisposeScope();
        var query = tensor(golden.Query, dtype).requires_grad_();
        var target = tensor(golden.Target, dtype).requires_grad_();
        var options = new LossOptions { UseUncertainty = true, Gamma0 = golden.Gamma0, W1 = golden.W1, W2 = golden.W2 };
        var noise = Noise(golden);
        var loss = new ComposedRetrievalLoss(options, noise);

        using var result = loss.Compute(query, target, golden.Epoch, golden.TotalEpochs);
        result.Total.backward();

        Assert.Equal(0, noise.Remaining);
        Assert.Equal(golden.Gamma, result.Gamma, 1e-15);
        AssertClose(golden.SigmaScalar, result.Sigma!.ToDouble(), tolerance, "s");
        AssertClose(golden.LossInfo, result.InfoNce.ToDouble(), tolerance, "L_info");
        AssertClose(golden.LossUncertainty, result.Uncertainty!.ToDouble(), tolerance, "L_u");
        AssertClose(golden.LossTotal, result.Total.ToDouble(), tolerance, "L_total");
        AssertClose(golden.GradQuery, query.grad!, tolerance, "d L_total / d query");
        AssertClose(golden.GradTarget, target.grad!, tolerance, "d L_total / d target");
    }

    private static (ScalarType Dtype, double Tolerance) Precision(bool float64) =>
        float64 ? (ScalarType.Float64, 1e-9) : (ScalarType.Float32, 1e-4);

    private static FixedNoiseSource Noise(UncertaintyLossGolden golden) =>
        new(tensor(golden.NoiseAlpha, ScalarType.Float64), tensor(golden.NoiseBeta, ScalarType.Float64));

    private static void AssertClose(double expected, double actual, double tolerance, string what)
    {
        var error = Math.Abs(actual - expected) / Math.Abs(expected);
        Assert.True(error <= tolerance, $"{what}: expected {expected:R}, got {actual:R} (relative error {error:E2} > {tolerance:E0}).");
    }

    /// <summary>
    /// Element-wise relative error, measured against max(|expected|, 1% of the tensor's largest |expected|):
    /// an entry a hundred times smaller than its neighbours comes out of sums of large, cancelling terms, which
    /// float32 cannot resolve to 1e-4 of the entry itself (one such gradient entry is off by 18% of itself).
    /// </summary>
    private static void AssertClose(double[,] expected, Tensor actual, double tolerance, string what)
    {
        Assert.Equal(new long[] { expected.GetLength(0), expected.GetLength(1) }, actual.shape);
        var values = actual.to(ScalarType.Float64).data<double>().ToArray();
        var expectedValues = expected.Cast<double>().ToArray();
        var floor = 1e-2 * expectedValues.Max(Math.Abs);
        for (var i = 0; i < values.Length; i++)
        {
            var error = Math.Abs(values[i] - expectedValues[i]) / Math.Max(Math.Abs(expectedValues[i]), floor);
            Assert.True(error <= tolerance,
                $"{what}[{i / expected.GetLength(1)}, {i % expected.GetLength(1)}]: expected {expectedValues[i]:R}, got {values[i]:R} " +
                $"(relative error {error:E2} > {tolerance:E0}).");
        }
    }
}
