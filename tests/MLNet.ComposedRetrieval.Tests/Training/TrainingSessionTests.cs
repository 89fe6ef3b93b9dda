using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Tests.Data.Synthetic;
using MLNet.ComposedRetrieval.Modeling;
using MLNet.ComposedRetrieval.Tests.Data;
using MLNet.ComposedRetrieval.Training;

namespace MLNet.ComposedRetrieval.Tests.Training;

/// <summary>The one training path: several runs in one session repeat exactly, each fine-tuning fresh encoders. In the
/// serial collection: an exact repeat needs TorchSharp's global generator to itself.</summary>
[Collection(Pipeline.TrainedModelCollection.Name)]
public class TrainingSessionTests
{
    private static readonly SyntheticShapesTask Task = SyntheticShapesTask.Create(trainTriplets: 128, queries: 16, imageSize: 32, seed: 7);

    private static TrainingSession Session(bool frozen, string? cacheFolder = null, Func<int>? onCreate = null)
    {
        var tokenizer = WordTokenizer.Build(Task.TrainTriplets.Select(t => t.Text), minimumCount: 1, maximumVocabularySize: 100);
        return new TrainingSession(new TrainingSessionSetup
        {
            Triplets = SyntheticLearningTests.Triplets(Task),
            ImageIds = Enumerable.Range(0, Task.Images.Count).Select(i => i.ToString()).ToList(),
            LoadImage = id => new RgbImage(Task.ImageSize, Task.ImageSize, Task.Images[int.Parse(id)]),
            CreateEncoders = () =>
            {
                onCreate?.Invoke();
                return (new SmallConvBackbone(inputSize: 32), new SmallTextEncoder(tokenizer, dimension: 32, layers: 1, heads: 4, maxLength: 16));
            },
            NetworkOptions = new ComposedNetworkOptions { EmbeddingDimension = 32 },
            TrainImageEncoder = !frozen,
            TrainTextEncoder = !frozen,
            MaxTextLength = 16,
            FeatureCacheFolder = cacheFolder,
            Validation = new RetrievalEvaluator(
                Enumerable.Range(0, Task.Images.Count).Select(i => i.ToString()).ToList(),
                Task.Queries.Select(q => new CompositionQuery(q.Reference.ToString(), q.Text, q.Target.ToString())).ToList(),
                TrainingDefaults.Ks),
        });
    }

    private static TrainerOptions Options(int seed) => new()
    {
        Epochs = 2, BatchSize = 32, LearningRate = 0.05, WarmupEpochs = 0, TextEncoderLearningRateMultiplier = 1, Seed = seed,
    };

    [Fact]
    public void RunsOfOneSessionRepeatAndEachFineTunesFreshEncoders()
    {
        int created = 0;
        using var session = Session(frozen: false, onCreate: () => created++);
        session.PrepareInputs();
        using var first = session.Train(Options(seed: 4)).Network;
        var firstRun = session.Train(Options(seed: 4));
        using var second = firstRun.Network;

        // One set for the inputs, then one per run: a run never continues another's fine-tuned weights.
        Assert.Equal(3, created);
        Assert.NotSame(first.ImageBackbone, second.ImageBackbone);
        var again = session.Train(Options(seed: 4));
        using (again.Network)
            Assert.Equal(firstRun.Result.History.Select(e => e.Loss), again.Result.History.Select(e => e.Loss));
        var other = session.Train(Options(seed: 5));
        using (other.Network)
            Assert.NotEqual(firstRun.Result.History.Select(e => e.Loss), other.Result.History.Select(e => e.Loss));
    }

    [Fact]
    public void FrozenEncodersAreCachedOnceAndGiveTheZeroShotLine()
    {
        using var folder = new TemporaryFolder();
        int created = 0;
        using var session = Session(frozen: true, folder.FullPath, () => created++);
        var zeroShot = session.ZeroShotRecall();
        var run = session.Train(Options(seed: 4));
        using (run.Network)
        {
            Assert.Equal(1, created);
            Assert.NotNull(session.ImageMaps);
            Assert.NotNull(session.TextFeatures);
            Assert.Null(run.Network.ImageBackbone);
            Assert.Equal(Task.Queries.Count, zeroShot.QueryCount);
            Assert.Equal(run.Result.History[run.Result.BestEpoch].ValidationRecall[10], run.Validation!.RecallAt(10) / 100, precision: 8);
        }
    }

    [Fact]
    public void TheZeroShotLineNeedsValidation()
    {
        var tokenizer = WordTokenizer.Build(["a"], minimumCount: 1, maximumVocabularySize: 10);
        using var session = new TrainingSession(new TrainingSessionSetup
        {
            Triplets = [new CompositionTriplet("0", "a", "1")],
            ImageIds = ["0", "1"],
            LoadImage = id => new RgbImage(Task.ImageSize, Task.ImageSize, Task.Images[int.Parse(id)]),
            CreateEncoders = () => (new SmallConvBackbone(inputSize: 32), new SmallTextEncoder(tokenizer, dimension: 32, layers: 1, heads: 4, maxLength: 16)),
            NetworkOptions = new ComposedNetworkOptions { EmbeddingDimension = 32 },
        });
        Assert.Throws<InvalidOperationException>(() => session.ZeroShotRecall());
    }
}
