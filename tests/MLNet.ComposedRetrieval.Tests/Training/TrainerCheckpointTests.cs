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
        TrainerOptions? options = null) => TrainAndSave(checkpoint, cancel, log, options).Result;

    /// <summary>Trains and returns the result with the bytes of the network it ends with.</summary>
    private static (TrainingResult Result, byte[] Network) TrainAndSave(TrainingCheckpoint? checkpoint, CancellationToken cancel = default,
        Action<string>? log = null, TrainerOptions? options = null)
    {
        var (network, inputs, task) = SyntheticLearningTests.Build(seed: 4, textDropout: 0);
        using var _ = network;
        network.load_state_dict(InitialWeights);
        var trainer = new ComposedRetrievalTrainer(network, options ?? Options)
        {
            Validation = SyntheticLearningTests.Queries(task), Checkpoint = checkpoint, Log = log,
        };
        var result = trainer.Fit(SyntheticLearningTests.Triplets(task), inputs, cancel);
        using var bytes = new MemoryStream();
        network.save(bytes);
        return (result, bytes.ToArray());
    }

    /// <summary>Three steps an epoch: the fault tests run fifteen kills.</summary>
    private static readonly TrainerOptions FaultOptions = Options with { TripletsPerEpoch = 48 };

    private static readonly Lazy<(TrainingResult Result, byte[] Network)> Uninterrupted = new(() => TrainAndSave(checkpoint: null, options: FaultOptions));

    /// <summary>Every step of <see cref="TrainingCheckpoint.Save"/>, in order.</summary>
    private static readonly string[] Steps = ["network.bin", "optimizer.bin", "state.json", "checkpoint.json", "cleanup"];

    /// <summary>Every step of every epoch's save: the first (nothing committed yet), a middle one and the last.</summary>
    public static TheoryData<int, string> SavePoints
    {
        get
        {
            var points = new TheoryData<int, string>();
            foreach (var epoch in Enumerable.Range(1, FaultOptions.Epochs))
                foreach (var step in Steps)
                    points.Add(epoch, step);
            return points;
        }
    }

    private sealed class SimulatedKill : Exception;

    [Theory]
    [MemberData(nameof(SavePoints))]
    public void AKillAtAnyStepOfASaveResumesFromAWholeEpochAndEndsWithTheUninterruptedModel(int killedEpoch, string killedAfter)
    {
        var stepsSeen = new List<string>();
        var killed = new TrainingCheckpoint(_folder)
        {
            AfterSaveStep = (step, epoch) =>
            {
                if (epoch != killedEpoch) return;
                stepsSeen.Add(step);
                if (step == killedAfter) throw new SimulatedKill();
            },
        };
        Assert.Throws<SimulatedKill>(() => Train(killed, options: FaultOptions));
        Assert.Equal(Steps.TakeWhile(step => step != killedAfter).Append(killedAfter), stepsSeen);
        // The pointer file is the commit: before it is replaced the checkpoint is still the previous epoch's, whole.
        int committed = killedAfter is "checkpoint.json" or "cleanup" ? killedEpoch : killedEpoch - 1;

        var log = new List<string>();
        var (resumed, network) = TrainAndSave(new TrainingCheckpoint(_folder), log: log.Add, options: FaultOptions);

        if (committed > 0) Assert.Contains($"Resuming after epoch {committed} from {_folder}.", log);
        else Assert.DoesNotContain(log, line => line.StartsWith("Resuming"));
        var (expected, expectedNetwork) = Uninterrupted.Value;
        Assert.Equal(expected.BestEpoch, resumed.BestEpoch);
        Assert.Equal(expected.History.Select(Figures), resumed.History.Select(Figures));
        Assert.Equal(expectedNetwork, network);
        // Only the last epoch's folder and the best epoch's are left, with no temporary or stray file.
        var kept = new[] { $"epoch-{FaultOptions.Epochs:D4}", $"epoch-{expected.BestEpoch + 1:D4}" }.Distinct().Order();
        Assert.Equal(kept, Directory.GetDirectories(_folder).Select(Path.GetFileName).Order());
        Assert.Equal(["checkpoint.json"], Directory.GetFiles(_folder).Select(Path.GetFileName));
        Assert.Empty(Directory.GetFiles(_folder, "*.tmp", SearchOption.AllDirectories));
    }

    private static string Figures(EpochRecord e) =>
        FormattableString.Invariant($"{e.Epoch} {e.Loss:R} {e.InfoNceLoss:R} {e.LearningRate:R} {e.Gamma:R} {string.Join(",", e.ValidationRecall.Select(r => $"{r.Key}:{r.Value:R}"))}");

    [Fact]
    public void ACheckpointOfTheFormatThatReplacedFilesOneByOneIsRefusedClearly()
    {
        Directory.CreateDirectory(_folder);
        File.WriteAllText(Path.Combine(_folder, "state.json"), "{\"CompletedEpochs\": 1}");
        File.WriteAllBytes(Path.Combine(_folder, "network.bin"), [1, 2, 3]);

        var error = Assert.Throws<InvalidDataException>(() => Train(new TrainingCheckpoint(_folder)));
        Assert.Contains("earlier version", error.Message);
        Assert.Contains("Delete the folder", error.Message);
    }

    [Fact]
    public void APointerToAnEpochWhoseFilesAreGoneIsReported()
    {
        Train(new TrainingCheckpoint(_folder), options: Options with { Epochs = 1 });
        File.WriteAllText(Path.Combine(_folder, "checkpoint.json"), "{\"FormatVersion\": 2, \"CompletedEpochs\": 5}");

        var error = Assert.Throws<InvalidDataException>(() => Train(new TrainingCheckpoint(_folder)));
        Assert.Contains("incomplete", error.Message);
        Assert.Contains("epoch-0005", error.Message);
    }

    /// <summary>Format 2 held validation recall in percent; such a checkpoint resumes with fractions, picking the same best epoch.</summary>
    [Fact]
    public void ACheckpointWithRecallInPercentResumesWithFractions()
    {
        var uninterrupted = Train(checkpoint: null);
        using var kill = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() =>
            Train(new TrainingCheckpoint(_folder), kill.Token, log: line => { if (line.StartsWith("epoch 2:")) kill.Cancel(); }));
        var pointerPath = Path.Combine(_folder, "checkpoint.json");
        var pointer = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(pointerPath))!;
        Assert.Equal(3, pointer["FormatVersion"]!.GetValue<int>());
        pointer["FormatVersion"] = 2;
        File.WriteAllText(pointerPath, pointer.ToJsonString());
        var statePath = Path.Combine(_folder, $"epoch-{pointer["CompletedEpochs"]!.GetValue<int>():D4}", "state.json");
        var state = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(statePath))!;
        foreach (var epoch in state["History"]!.AsArray())
            foreach (var (k, value) in epoch!["ValidationRecall"]!.AsObject().ToList())
                epoch["ValidationRecall"]![k] = 100 * value!.GetValue<double>();
        state["BestRecall"] = 100 * state["BestRecall"]!.GetValue<double>();
        File.WriteAllText(statePath, state.ToJsonString());

        var resumed = Train(new TrainingCheckpoint(_folder));

        Assert.Equal(uninterrupted.BestEpoch, resumed.BestEpoch);
        foreach (var (a, b) in uninterrupted.History.Zip(resumed.History))
            Assert.Equal(a.ValidationRecall[10], b.ValidationRecall[10], precision: 6);
        Assert.All(resumed.History, e => Assert.InRange(e.ValidationRecall[10], 0, 1));
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
