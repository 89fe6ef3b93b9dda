using MLNet.ComposedRetrieval.Training;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Training;

public class LearnedSigmaVariantTests
{
    [Fact]
    public void TheLearnedSUsesTheGivenScalarAndReceivesTheGradientOfEq3()
    {
        var (query, target, alpha, beta) = LossVariantInputs.Draw(seed: 3);
        using var learned = new LearnedSigma(CPU, initialValue: 0.4);

        using var result = new ComposedRetrievalLoss(new LossOptions { LearnSigma = true }, new FixedNoiseSource(alpha, beta), learned.Parameter)
            .Compute(query, target, epoch: 0, totalEpochs: 4);
        result.Total.backward();

        var augmented = new TargetAugmenter(1, 1, new FixedNoiseSource(alpha, beta)).Augment(target);
        double info = InfoNce.Compute(query, augmented).item<double>();
        Assert.Equal(0.4, result.Sigma!.item<float>(), precision: 6);
        Assert.Equal(0.5 * (Math.Exp(-0.4) * info + 0.4), result.Uncertainty!.item<double>(), precision: 6);
        // gamma is 1 at epoch 0, so dL/ds = 0.5 * (1 - exp(-s) * L_info(f_s, f_aug)).
        Assert.Equal(0.5 * (1 - Math.Exp(-0.4) * info), learned.Parameter.grad!.item<float>(), precision: 5);
        Assert.False(learned.Parameter.IsInvalid, "disposing the loss result must not free the parameter");
    }

    [Fact]
    public void TheLossRefusesAMismatchBetweenOptionsAndLearnedS()
    {
        using var noise = new TorchNoiseSource(1);
        using var learned = new LearnedSigma(CPU);
        Assert.Throws<ArgumentException>(() => new ComposedRetrievalLoss(new LossOptions { LearnSigma = true }, noise));
        Assert.Throws<ArgumentException>(() => new ComposedRetrievalLoss(new LossOptions(), noise, learned.Parameter));
        Assert.Throws<ArgumentException>(() => new ComposedRetrievalLoss(new LossOptions { UseUncertainty = false }, noise, learned.Parameter));
    }
}
