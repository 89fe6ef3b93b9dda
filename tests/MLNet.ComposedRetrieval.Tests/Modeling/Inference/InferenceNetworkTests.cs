using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Modeling;
using MLNet.ComposedRetrieval.Modeling.Inference;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Modeling.Inference;

public class InferenceNetworkTests
{
    /// <summary>A small-encoder network whose batch norms have left their fresh statistics (one training-mode pass),
    /// in evaluation mode.</summary>
    private static ComposedRetrievalNetwork SmallNetwork(int seed)
    {
        manual_seed(seed);
        var network = new ComposedRetrievalNetwork(new SmallConvBackbone(inputSize: 32), SmallEncoders.TextEncoder(),
            new ComposedNetworkOptions { EmbeddingDimension = 16, Heads = 2 });
        using (no_grad())
        using (var images = randn(8, 3, 32, 32))
        using (network.EmbedTargets(images)) { }
        network.eval();
        return network;
    }

    /// <summary>
    /// The small encoders have no folded form: their snapshots are copies run as trained. The convolutions and the head
    /// give the source's values bit for bit; libtorch's native transformer layer may round two instances holding the same
    /// weights differently in the last bit, so the text is compared to a float tolerance.
    /// </summary>
    [Fact]
    public void TheSmallEncodersRunAsTrainedAndTheComposerAsFolded()
    {
        using var scope = NewDisposeScope();
        using var network = SmallNetwork(21);
        using var snapshot = network.ToInference();
        using var loaded = new ComposedRetrievalNetwork(new SmallConvBackbone(inputSize: 32), SmallEncoders.TextEncoder(),
            new ComposedNetworkOptions { EmbeddingDimension = 16, Heads = 2 });
        loaded.load_state_dict(network.state_dict());
        loaded.eval();
        using var mode = inference_mode();
        var images = randn(3, 3, 32, 32);
        var (ids, mask) = TokenBatch.Encode(network.TextEncoder!.Tokenizer, SmallEncoders.Sentences.Take(3).ToList(), maxLength: 16);

        Assert.IsType<EvaluationModeImageEncoder>(snapshot.ImageEncoder);
        Assert.IsType<EvaluationModeTextEncoder>(snapshot.TextEncoder);
        Assert.Equal("as trained (batch norm folding needs a ResNet)", snapshot.ImageEncoderExecution);
        var maps = loaded.EncodeImages(images);
        var sentences = loaded.EncodeText(ids, mask);
        Assert.True(snapshot.EncodeImages(images).equal(maps).all().item<bool>());
        Assert.InRange(FoldedResNetTests.RelativeError(snapshot.EncodeText(ids, mask), sentences), 0, 1e-6);
        Assert.True(snapshot.EmbedTargetMaps(maps).equal(loaded.EmbedTargetMaps(maps)).all().item<bool>());
        Assert.InRange(FoldedResNetTests.RelativeError(snapshot.EncodeText(ids, mask), network.EncodeText(ids, mask)), 0, 1e-6);
        Assert.InRange(FoldedResNetTests.RelativeError(snapshot.Compose(maps, sentences), network.ComposeFromFeatures(maps, sentences)), 0, 1e-5);
    }

    [Fact]
    public void TheSnapshotSharesNoTensorWithTheNetwork()
    {
        using var scope = NewDisposeScope();
        var network = SmallNetwork(22);
        using var snapshot = network.ToInference();
        var images = randn(2, 3, 32, 32);
        var (ids, mask) = TokenBatch.Encode(network.TextEncoder!.Tokenizer, SmallEncoders.Sentences.Take(2).ToList(), maxLength: 16);
        var maps = snapshot.EncodeImages(images).detach();
        var queries = snapshot.Compose(maps, snapshot.EncodeText(ids, mask)).detach();
        var targets = snapshot.EmbedTargetMaps(maps).detach();
        Assert.DoesNotContain(snapshot.parameters(), p => p.requires_grad);

        // Training the network, then disposing it, does not reach the snapshot.
        using (no_grad())
            foreach (var parameter in network.parameters()) parameter.add_(0.1);
        network.Dispose();
        Assert.True(snapshot.EncodeImages(images).equal(maps).all().item<bool>());
        Assert.True(snapshot.Compose(maps, snapshot.EncodeText(ids, mask)).equal(queries).all().item<bool>());
        Assert.True(snapshot.EmbedTargetMaps(maps).equal(targets).all().item<bool>());
    }

    [Fact]
    public void ANetworkOnPrecomputedFeaturesGivesASnapshotWithoutEncoders()
    {
        using var scope = NewDisposeScope();
        manual_seed(23);
        using var network = new ComposedRetrievalNetwork(16, 8, new ComposedNetworkOptions { EmbeddingDimension = 8, Heads = 2 });
        network.eval();
        using var snapshot = network.ToInference();
        var (maps, sentences) = (randn(2, 16, 3, 3), randn(2, 8));

        Assert.Null(snapshot.ImageEncoder);
        Assert.Null(snapshot.TextEncoder);
        Assert.Throws<InvalidOperationException>(() => snapshot.EncodeImages(randn(2, 3, 32, 32)));
        Assert.Throws<InvalidOperationException>(() => snapshot.EncodeText(zeros(2, 4, dtype: ScalarType.Int64), ones(2, 4, dtype: ScalarType.Int64)));
        Assert.InRange(FoldedResNetTests.RelativeError(snapshot.Compose(maps, sentences), network.ComposeFromFeatures(maps, sentences)), 0, 1e-5);
        var error = Assert.Throws<InvalidOperationException>(() => snapshot.train());
        Assert.Contains("inference only", error.Message, StringComparison.Ordinal);
    }
}
