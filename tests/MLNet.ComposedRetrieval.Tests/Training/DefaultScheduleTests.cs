using MLNet.ComposedRetrieval.Experiment;
using MLNet.ComposedRetrieval.Training;

namespace MLNet.ComposedRetrieval.Tests.Training;

/// <summary>The default schedule has the method's x0.1 step, and the estimator, the trainer and the main job share it.</summary>
public class DefaultScheduleTests
{
    [Fact]
    public void TheDefaultLearningRatesWarmUpForOneEpochAndDropTenfoldForTheLastTwoOfEight()
    {
        var options = new TrainerOptions();
        var schedule = new LearningRateSchedule(options.LearningRate, options.ResolvedDecayEpochs, options.WarmupEpochs);

        var perEpoch = Enumerable.Range(0, options.Epochs).Select(epoch => schedule.At(epoch, step: 0, stepsPerEpoch: 100)).ToArray();

        Assert.Equal([6], options.ResolvedDecayEpochs);
        double[] expected = [0.0002, 0.02, 0.02, 0.02, 0.02, 0.02, 0.002, 0.002];
        Assert.Equal(expected.Length, perEpoch.Length);
        Assert.All(perEpoch.Zip(expected), pair => Assert.Equal(pair.Second, pair.First, 12));
        Assert.Equal(0.0002 + (0.02 - 0.0002) * 0.5, schedule.At(0, step: 50, stepsPerEpoch: 100), 12);
    }

    [Theory]
    [InlineData(1, 1.0, 1)]
    [InlineData(4, 1.0, 3)]
    [InlineData(60, 5.0, 45)]
    [InlineData(8, 7.0, 7)]
    public void TheDefaultStepScalesWithTheEpochsAndNeverFallsInsideTheWarmUp(int epochs, double warmup, int expected) =>
        Assert.Equal([expected], TrainingDefaults.DecayEpochs(epochs, warmup));

    [Fact]
    public void TheEstimatorAndTheMainJobHaveTheSameDefaults()
    {
        var estimator = new ComposeImageTextEstimator.Options();
        var mainJob = ExperimentOptions.Parse([]);
        var trainer = new TrainerOptions();

        Assert.Equal((trainer.Epochs, trainer.BatchSize, trainer.LearningRate, trainer.WarmupEpochs),
            (estimator.Epochs, estimator.BatchSize, estimator.LearningRate, estimator.WarmupEpochs));
        Assert.Equal((trainer.Epochs, trainer.BatchSize, trainer.LearningRate, trainer.WarmupEpochs),
            (mainJob.Epochs, mainJob.BatchSize, mainJob.LearningRate, mainJob.WarmupEpochs));
        Assert.Null(estimator.LearningRateDecayEpochs);
        Assert.Equal(trainer.ResolvedDecayEpochs, mainJob.ResolvedDecayEpochs);
        Assert.Equal((trainer.Momentum, trainer.WeightDecay, trainer.TextEncoderLearningRateMultiplier),
            (estimator.Momentum, estimator.WeightDecay, estimator.TextEncoderLearningRateMultiplier));
    }

    [Fact]
    public void TheMainJobTakesNoneOrAListForTheDecay()
    {
        Assert.Empty(ExperimentOptions.Parse(["--decay-epochs", "none"]).ResolvedDecayEpochs);
        Assert.Equal([5, 7], ExperimentOptions.Parse(["--decay-epochs", "5,7"]).ResolvedDecayEpochs);
        Assert.Equal([3], ExperimentOptions.Parse(["--epochs", "4"]).ResolvedDecayEpochs);
    }
}
