using Microsoft.ML;
using MLNet.ComposedRetrieval.Tests.Data;
using Xunit.Abstractions;

namespace MLNet.ComposedRetrieval.Tests.Pipeline;

/// <summary>The default encoders (ImageNet ResNet-18 and MiniLM from their NuGet packages, frozen) through the ML.NET
/// component: a tiny fit, then a save/load round trip, which must carry the WordPiece vocabulary and the mean image.</summary>
[Collection(TrainedModelCollection.Name)]
public class PretrainedEncoderTests(ITestOutputHelper output)
{
    [Fact]
    public void FrozenPretrainedEncodersTrainSaveAndLoadBitIdentically()
    {
        var ml = new MLContext(seed: 1);
        var options = new ComposeImageTextEstimator.Options { EmbeddingDimension = 32, Epochs = 1, BatchSize = 8, WarmupEpochs = 0, Seed = 3 };
        var triplets = SyntheticRows.Triplets(ml, SyntheticRows.Task.TrainTriplets.Take(16));

        using var model = ml.Transforms.ComposeImageText(options).Fit(triplets);

        Assert.Equal(ImageEncoderArchitecture.ResNet18, model.ImageEncoder);
        Assert.Equal(TextEncoderArchitecture.MiniLM, model.TextEncoder);
        Assert.Equal(2, Assert.Single(model.TrainingHistory).Steps);

        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.FullPath, "pretrained.mlcr");
        model.Save(path);
        output.WriteLine($"model file: {new FileInfo(path).Length / 1e6:F1} MB");
        using var loaded = ml.Model.LoadComposeImageText(path);

        var queries = SyntheticRows.Triplets(ml, SyntheticRows.Task.Queries.Take(3));
        Assert.Equal(DataViewColumns.Vectors(model.Transform(queries), "QueryEmbedding"),
                     DataViewColumns.Vectors(loaded.Transform(queries), "QueryEmbedding"));
    }
}
