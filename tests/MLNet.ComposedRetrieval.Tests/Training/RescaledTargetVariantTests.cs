using MLNet.ComposedRetrieval.Training;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Training;

public class RescaledTargetVariantTests
{
    [Fact]
    public void TheVariantScoresTheJitteredTargetAtTheCleanTargetsNorm()
    {
        var (query, target, alpha, beta) = LossVariantInputs.Draw(seed: 2);

        var options = new LossOptions { RescaleAugmentedTarget = true };
        using var result = new ComposedRetrievalLoss(options, new FixedNoiseSource(alpha, beta)).Compute(query, target, epoch: 0, totalEpochs: 4);

        var augmented = new TargetAugmenter(1, 1, new FixedNoiseSource(alpha, beta)).Augment(target);
        var rescaled = nn.functional.normalize(augmented, dim: 1) * 4;
        var (expected, sigma) = UncertaintyRegularization.Compute(query, rescaled);
        Assert.Equal(expected.item<double>(), result.Uncertainty!.item<double>(), precision: 12);
        Assert.Equal(sigma.item<double>(), result.Sigma!.item<double>(), precision: 12);
        Assert.InRange(sigma.item<double>(), 4 / Math.Sqrt(32) - 0.1, 4 / Math.Sqrt(32) + 0.1); // rows of norm 4 in 32-d

        using var faithful = new ComposedRetrievalLoss(new LossOptions(), new FixedNoiseSource(alpha, beta)).Compute(query, target, 0, 4);
        Assert.True(faithful.Sigma!.item<double>() > 0.9, "the faithful f_aug is whitened: entry std near 1");
    }
}
