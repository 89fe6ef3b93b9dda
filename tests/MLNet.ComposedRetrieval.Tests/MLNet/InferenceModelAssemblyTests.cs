using Microsoft.ML;
using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Modeling;
using MLNet.ComposedRetrieval.Tests.Data;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Pipeline;

/// <summary>
/// A network trained on precomputed features plus the frozen encoders that computed them gives the same embeddings as
/// the full ML.NET model assembled from them, before and after a save/load round trip.
/// </summary>
[Collection(TrainedModelCollection.Name)]
public sealed class InferenceModelAssemblyTests
{
    private static readonly string[] Texts = ["make it red", "add a circle", "make it smaller"];

    /// <summary>The small encoders and the description they fill in, as the ML.NET estimator builds them.</summary>
    private static (ImageBackbone Backbone, TextEncoder Text, ModelDescription Description) SmallEncoders()
    {
        var description = new ModelDescription
        {
            ImageEncoder = ImageEncoderArchitecture.SmallConvNet, TextEncoder = TextEncoderArchitecture.SmallTransformer,
            SmallImageInputSize = SyntheticRows.ImageSize, EmbeddingDimension = 16,
        };
        (var backbone, description) = EncoderFactory.CreateForTraining(description);
        (var text, description) = EncoderFactory.CreateForTraining(description, Texts);
        return (backbone, text, description);
    }

    [Fact]
    public void TheAssembledModelEmbedsLikeTheFeatureNetworkAndSurvivesSaveAndLoad()
    {
        manual_seed(3);
        var (backbone, text, description) = SmallEncoders();
        using var _ = backbone;
        using var __ = text;
        backbone.eval();
        text.eval();
        using var trained = new ComposedRetrievalNetwork(backbone.OutputChannels, text.OutputDimension, description.NetworkOptions);
        trained.eval();
        var images = Enumerable.Range(0, Texts.Length)
            .Select(i => new RgbImage(SyntheticRows.ImageSize, SyntheticRows.ImageSize, SyntheticRows.Task.Images[i])).ToList();

        float[] expectedTargets, expectedQueries;
        using (var mode = inference_mode())
        using (var scope = NewDisposeScope())
        {
            var maps = backbone.forward(ImageBatch.FromImages(images, backbone.Preprocessing));
            var (ids, mask) = TokenBatch.Encode(text.Tokenizer, Texts, description.MaxTextLength);
            expectedTargets = trained.EmbedTargetMaps(maps).data<float>().ToArray();
            expectedQueries = trained.ComposeFromFeatures(maps, text.forward(ids, mask)).data<float>().ToArray();
        }

        var ml = new MLContext(seed: 1);
        using var assembled = InferenceModelAssembly.Assemble(ComponentEnvironment.From(ml), trained, backbone, text, description, history: []);
        AssertEmbeds(assembled, images, expectedTargets, expectedQueries);

        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.FullPath, "model.mlcr");
        assembled.Save(path);
        using var loaded = ComposeImageTextTransformer.Load(ml, path);
        Assert.Equal(ImageEncoderArchitecture.SmallConvNet, loaded.ImageEncoder);
        AssertEmbeds(loaded, images, expectedTargets, expectedQueries);
    }

    [Fact]
    public void ADescriptionOfOtherSizesIsRefused()
    {
        var (backbone, text, description) = SmallEncoders();
        using var _ = backbone;
        using var __ = text;
        using var trained = new ComposedRetrievalNetwork(backbone.OutputChannels, text.OutputDimension, description.NetworkOptions);

        var error = Assert.Throws<ArgumentException>(() => InferenceModelAssembly.Assemble(
            ComponentEnvironment.From(new MLContext(1)), trained, backbone, text, description with { EmbeddingDimension = 24 }, []));
        Assert.Contains("EmbeddingDimension = 24", error.Message);
    }

    private static void AssertEmbeds(ComposeImageTextTransformer model, IReadOnlyList<RgbImage> images, float[] targets, float[] queries)
    {
        var prepared = images.Select(model.Model.Prepare).ToList();
        var actualTargets = new float[targets.Length];
        var actualQueries = new float[queries.Length];
        model.Model.EmbedImages(prepared, actualTargets);
        model.Model.ComposeQueries(prepared, Texts, actualQueries);
        Assert.Equal(targets, actualTargets, (a, b) => Math.Abs(a - b) < 1e-5f);
        Assert.Equal(queries, actualQueries, (a, b) => Math.Abs(a - b) < 1e-5f);
    }
}
