using MLNet.ComposedRetrieval.Training;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Pipeline;

public class ModelFileTests
{
    [Fact]
    public void ManifestHistoryAndTensorsOfEveryElementTypeRoundTrip()
    {
        var history = new List<EpochRecord>
        {
            new(0, 12, 1.5, 2.5, 1.25, 1.03, 1.0, 0.02, new Dictionary<int, double> { [1] = 0.105, [10] = 0.4, [50] = 0.7525 }, TimeSpan.FromSeconds(3)),
        };
        var manifest = new ModelManifest
        {
            LibraryVersion = "test",
            Model = new ModelDescription { ImageEncoder = ImageEncoderArchitecture.SmallConvNet, WordVocabulary = ["[PAD]", "[UNK]", "red"] },
            Settings = new TransformerSettings { OutputColumnName = "Q", ImageFolder = "/images" },
            TrainingHistory = history,
            ValidationRecallAsFraction = true,
        };
        using var scope = NewDisposeScope();
        var tensors = new List<(string, Tensor)>
        {
            ("weights", tensor(new float[] { 1.5f, -2, float.Epsilon }, [3])),
            ("counter", tensor(new long[] { 7 }, [1]).reshape([])),
            ("doubles", tensor(new double[] { Math.PI, 2 }, [2, 1])),
            ("empty", zeros(0, 4)),
        };

        using var stream = new MemoryStream();
        ModelFile.Write(stream, manifest, tensors);
        stream.Position = 0;
        var (read, values) = ModelFile.Read(stream, "memory");

        Assert.Equal(manifest.Settings, read.Settings);
        Assert.Equal(["[PAD]", "[UNK]", "red"], read.Model.WordVocabulary!);
        var epoch = Assert.Single(read.TrainingHistory);
        Assert.Equal(history[0] with { ValidationRecall = epoch.ValidationRecall }, epoch);
        Assert.Equal(history[0].ValidationRecall, epoch.ValidationRecall);
        Assert.Same(read.TrainingHistory, read.HistoryWithRecallAsFractions());
        foreach (var (name, original) in tensors)
        {
            Assert.Equal(original.dtype, values[name].dtype);
            Assert.Equal(original.shape, values[name].shape);
            Assert.True(original.eq(values[name]).all().item<bool>(), name);
            values[name].Dispose();
        }
    }

    /// <summary>Files written before recall became a fraction lack the flag and hold percentages: read as fractions.</summary>
    [Fact]
    public void AnOlderFilesPercentHistoryIsReadAsFractions()
    {
        var percent = new EpochRecord(0, 12, 1.5, 2.5, null, null, 0, 0.02, new Dictionary<int, double> { [1] = 5.52, [10] = 28.55, [50] = 61.64 }, TimeSpan.FromSeconds(3));
        var json = System.Text.Json.JsonSerializer.Serialize(new ModelManifest { TrainingHistory = [percent], ValidationRecallAsFraction = true })
            .Replace("\"ValidationRecallAsFraction\":true", "\"ValidationRecallAsFraction\":false", StringComparison.Ordinal);
        var older = System.Text.Json.JsonSerializer.Deserialize<ModelManifest>(json)!;

        var epoch = Assert.Single(older.HistoryWithRecallAsFractions());
        Assert.Equal(0.2855, epoch.ValidationRecall[10], 12);
        Assert.Equal(0.0552, epoch.ValidationRecall[1], 12);
        Assert.Equal(percent with { ValidationRecall = epoch.ValidationRecall }, epoch);
    }
}
