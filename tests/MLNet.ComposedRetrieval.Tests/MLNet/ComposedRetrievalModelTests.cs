using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Modeling;
using MLNet.ComposedRetrieval.Native;
using MLNet.ComposedRetrieval.Tests.Modeling;
using MLNet.ComposedRetrieval.Tests.Modeling.Inference;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Pipeline;

public class ComposedRetrievalModelTests
{
    private const int Side = 64;

    /// <summary>A ResNet-18 + small text encoder model on 64 x 64 images, with non-trivial batch norms; the test keeps
    /// <paramref name="network"/> (in evaluation mode) as the reference, the model gets (and disposes) a copy.</summary>
    private static ComposedRetrievalModel ResNetModel(out ComposedRetrievalNetwork network, ComposedRetrievalNetwork? weightsFrom = null)
    {
        static ComposedRetrievalNetwork Create() =>
            new(new ResNetBackbone(ResNetArchitecture.ResNet18, ImagePreprocessing.ImageNet224 with { Width = Side, Height = Side }),
                SmallEncoders.TextEncoder(), new ComposedNetworkOptions { EmbeddingDimension = 32 });
        manual_seed(11);
        network = Create();
        FoldedResNetTests.RandomizeBatchNorms((ResNetBackbone)network.ImageBackbone!, seed: 12);
        // Other test classes may draw from the global generator meanwhile: a second model copies the first's weights.
        if (weightsFrom is not null) network.load_state_dict(weightsFrom.state_dict());
        return ModelOf(network, Create);
    }

    /// <summary>A small CNN + tiny BERT-style transformer model (the text encoder the model folds), as <see cref="ResNetModel"/>.</summary>
    private static ComposedRetrievalModel TransformerModel(out ComposedRetrievalNetwork network)
    {
        var tokenizer = SmallEncoders.Tokenizer();
        var options = TransformerOptions.MiniLmL6 with
        {
            VocabularySize = tokenizer.VocabularySize, HiddenSize = 16, LayerCount = 2, HeadCount = 4, IntermediateSize = 32, MaxPositions = 16,
        };
        ComposedRetrievalNetwork Create() => new(new SmallConvBackbone(inputSize: Side), new TransformerTextEncoder(options, tokenizer),
            new ComposedNetworkOptions { EmbeddingDimension = 32 });
        manual_seed(13);
        network = Create();
        return ModelOf(network, Create);
    }

    /// <summary>A model of a copy of <paramref name="network"/> (made by <paramref name="create"/>), which is put in evaluation mode.</summary>
    private static ComposedRetrievalModel ModelOf(ComposedRetrievalNetwork network, Func<ComposedRetrievalNetwork> create)
    {
        network.eval();
        var copy = create();
        copy.load_state_dict(network.state_dict());
        return new ComposedRetrievalModel(copy, new ModelDescription { EmbeddingDimension = 32, MaxTextLength = 16 }, CPU);
    }

    private static RgbImage Image(int seed)
    {
        var pixels = new byte[3 * Side * Side];
        new Random(seed).NextBytes(pixels);
        return new RgbImage(Side, Side, pixels);
    }

    [Fact]
    public void TheModelRunsTheFoldedBackboneWithTheNetworksResults()
    {
        using var model = ResNetModel(out var network);
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var images = randn(2, 3, Side, Side);

        var expected = network.EncodeImages(images);
        var actual = model.EncodeImages(images);

        Assert.InRange(FoldedResNetTests.RelativeError(actual, expected), 0, 1e-4);
        Assert.False(actual.equal(expected).all().item<bool>(), "the model should run the folded copy, which rounds differently");
        Assert.False(network.training);
        Assert.Equal(NativeFastPaths.OneDnnLayoutBlockedReason is null ? "ResNet with batch norm folded, in oneDNN's layout"
            : "ResNet with batch norm folded, dense (oneDNN not used: " + NativeFastPaths.OneDnnLayoutBlockedReason + ")", model.ImageBackboneExecution);
    }

    /// <summary>
    /// A host whose processor reports no cache sizes (oneDNN's sum would divide by zero there and kill the process):
    /// the model is built without ever running oneDNN's layout, runs dense, says why, and gives the same embeddings.
    /// </summary>
    [Fact]
    public void AHostWithoutCacheInformationRunsTheDensePathWithTheSameResults()
    {
        var images = new[] { Image(1), Image(2) };
        string[] texts = [SmallEncoders.Sentences[0], SmallEncoders.Sentences[1]];
        float[] Queries(ComposedRetrievalModel model)
        {
            var rows = new float[2 * model.EmbeddingDimension];
            model.ComposeQueries(images, texts, rows);
            model.EmbedImages(images, rows.AsSpan(0, 2 * model.EmbeddingDimension));
            return rows;
        }
        using var usual = ResNetModel(out var network);
        var expected = Queries(usual);

        using (OneDnnHostCheck.Simulate(new CpuCacheReport("CPUID", []), new CpuCacheReport("/sys/devices/system/cpu/cpu0/cache", [])))
        {
            var reason = NativeFastPaths.OneDnnLayoutBlockedReason;
            if (NativeFastPaths.UseOneDnnLayout) // else the switch speaks first
                Assert.StartsWith("unsafe on this host: CPUID reports no L1 data cache size", reason);
            using var dense = ResNetModel(out _, weightsFrom: network);
            Assert.Equal($"ResNet with batch norm folded, dense (oneDNN not used: {reason})", dense.ImageBackboneExecution);
            Assert.All(Queries(dense).Zip(expected), pair => Assert.Equal(pair.Second, pair.First, 1e-5f));
        }
    }

    [Fact]
    public void TheModelRunsTheFoldedTextEncoderAndComposerWithTheNetworksResults()
    {
        using var model = TransformerModel(out var network);
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var (ids, mask) = TokenBatch.Encode(model.Tokenizer, SmallEncoders.Sentences, 16);

        var expected = network.EncodeText(ids, mask);
        var actual = model.EncodeText(ids, mask);
        Assert.InRange(FoldedResNetTests.RelativeError(actual, expected), 0, 1e-5);
        Assert.False(actual.equal(expected).all().item<bool>(), "the model should run the folded copy, which rounds differently");

        var images = Enumerable.Range(1, SmallEncoders.Sentences.Length).Select(Image).ToArray();
        var queries = new float[images.Length * model.EmbeddingDimension];
        model.ComposeQueries(images, SmallEncoders.Sentences, queries);
        var reference = network.ComposeQueries(ImageBatch.FromImages(images, model.Preprocessing), ids, mask);
        Assert.InRange(tensor(queries, reference.shape).sub(reference).abs().max().item<float>(), 0, 4e-5);
    }

    [Fact]
    public void ComposedQueriesMatchTheUnfoldedNetworkAndSurviveAWarmUp()
    {
        using var model = ResNetModel(out var network);
        var images = new[] { Image(1), Image(2) };
        string[] texts = [SmallEncoders.Sentences[0], SmallEncoders.Sentences[1]];
        var before = new float[2 * model.EmbeddingDimension];
        model.ComposeQueries(images, texts, before);

        model.WarmUp();
        var after = new float[before.Length];
        model.ComposeQueries(images, texts, after);

        Assert.Equal(before, after);
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var (ids, mask) = TokenBatch.Encode(model.Tokenizer, texts, 16);
        var expected = network.ComposeQueries(ImageBatch.FromImages(images, model.Preprocessing), ids, mask);
        // Embeddings have norm 4 (the norm scale): 1e-4 relative to the output scale.
        Assert.InRange(tensor(after, expected.shape).sub(expected).abs().max().item<float>(), 0, 4e-4);
    }

    [Fact]
    public void QueriesFromFourThreadsGiveTheSequentialResults()
    {
        using var model = ResNetModel(out _);
        var images = Enumerable.Range(0, 4).Select(i => Image(10 + i)).ToArray();
        var sequential = images.Select((image, i) =>
        {
            var row = new float[model.EmbeddingDimension];
            model.ComposeQueries([image], [SmallEncoders.Sentences[i % 2]], row);
            return row;
        }).ToArray();

        var concurrent = new float[4 * 3][];
        Parallel.For(0, concurrent.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, n =>
        {
            concurrent[n] = new float[model.EmbeddingDimension];
            model.ComposeQueries([images[n % 4]], [SmallEncoders.Sentences[n % 4 % 2]], concurrent[n]);
        });

        for (int n = 0; n < concurrent.Length; n++)
            Assert.All(concurrent[n].Zip(sequential[n % 4]), pair => Assert.Equal(pair.Second, pair.First, 1e-5f));
    }
}
