using MLNet.ComposedRetrieval.Training;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Training;

public sealed class TrainerCheckpointTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "ckpt-test-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    private static readonly TrainerOptions Options = new()
    {
        Epochs = 3, BatchSize = 16, TripletsPerEpoch = 160, LearningRate = 0.05, WarmupEpochs = 1,
        TextEncoderLearningRateMultiplier = 1, Seed = 11,
    };

    // Other tests draw from torch's global generator in parallel, so runs must not depend on it: no dropout, and
    // every run starts from one copy of the initial weights instead of re-seeding the global generator.
    private static readonly Dictionary<string, Tensor> InitialWeights = SyntheticLearningTests.Build(seed: 4, textDropout: 0)
        .Network.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone());

    private static TrainingResult Train(TrainingCheckpoint? checkpoint, CancellationToken cancel = default, Action<string>? log = null,
        TrainerOptions? options = null)
    {
        var (network, inputs, task) = SyntheticLearningTests.Build(seed: 4, textDropout: 0);
        network.load_state_dict(InitialWeights);
        var trainer = new ComposedRetrievalTrainer(network, options ?? Options)
        {
            Validation = SyntheticLearningTests.Queries(task), Checkpoint = checkpoint, Log = log,
        };
        return trainer.Fit(SyntheticLearningTests.Triplets(task), inputs, cancel);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AKilledRunResumesFromItsLastCheckpointAndEndsLikeAnUninterruptedRun(bool learnSigma)
    {
        var options = Options with { Loss = Options.Loss with { LearnSigma = learnSigma } };
        var uninterrupted = Train(checkpoint: null, options: options);

        using var kill = new CancellationTokenSource();
        var checkpoint = new TrainingCheckpoint(_folder);
        Assert.Throws<OperationCanceledException>(() =>
            Train(checkpoint, kill.Token, log: line => { if (line.StartsWith("epoch 1:")) kill.Cancel(); }, options: options));
        Assert.True(checkpoint.Exists);

        var resumedLog = new List<string>();
        var resumed = Train(new TrainingCheckpoint(_folder), log: resumedLog.Add, options: options);

        Assert.Contains(resumedLog, l => l.StartsWith("Resuming after epoch 1"));
        Assert.Equal(uninterrupted.BestEpoch, resumed.BestEpoch);
        Assert.Equal(uninterrupted.History.Count, resumed.History.Count);
        foreach (var (a, b) in uninterrupted.History.Zip(resumed.History))
        {
            Assert.Equal(a.Loss, b.Loss, precision: 5);
            Assert.Equal(a.ValidationRecall[10], b.ValidationRecall[10], precision: 6);
            Assert.Equal(a.Sigma!.Value, b.Sigma!.Value, precision: 5);
        }
        if (learnSigma)
            Assert.True(Math.Abs(uninterrupted.History[^1].Sigma!.Value - LearnedSigma.InitialValue) > 0.01,
                $"a learned s should move from {LearnedSigma.InitialValue}; it ended at {uninterrupted.History[^1].Sigma}");
    }

    [Fact]
    public void ACheckpointFromOtherSettingsIsRefused()
    {
        var (network, inputs, task) = SyntheticLearningTests.Build(seed: 4);
        var checkpoint = new TrainingCheckpoint(_folder);
        new ComposedRetrievalTrainer(network, Options with { Epochs = 1 }) { Checkpoint = checkpoint }
            .Fit(SyntheticLearningTests.Triplets(task), inputs);

        var other = new ComposedRetrievalTrainer(network, Options with { Epochs = 2, LearningRate = 0.01 }) { Checkpoint = checkpoint };
        var error = Assert.Throws<InvalidOperationException>(() => other.Fit(SyntheticLearningTests.Triplets(task), inputs));
        Assert.Contains("other training settings", error.Message);
    }
}
