using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Modeling;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Modeling;

public class EncoderFreezingTests
{
    [Fact]
    public void AFrozenBackboneGetsNoGradientAndKeepsBatchNormInEvalWhenTheParentTrains()
    {
        using var scope = NewDisposeScope();
        manual_seed(6);
        var backbone = new SmallConvBackbone(inputSize: 32);
        var network = new ComposedRetrievalNetwork(backbone, SmallEncoders.TextEncoder());
        backbone.Freeze();
        network.train();

        Assert.True(backbone.IsFrozen);
        Assert.False(backbone.training);
        var batchNorms = backbone.modules().OfType<BatchNorm2d>().ToList();
        Assert.NotEmpty(batchNorms);
        Assert.All(batchNorms, bn => Assert.False(bn.training));
        Assert.True(network.EmbedTargets(randn(2, 3, 32, 32)).requires_grad, "the head still trains");

        var runningMeans = batchNorms.Select(bn => bn.running_mean!.clone()).ToList();
        var loss = network.EmbedTargets(randn(4, 3, 32, 32).mul(3).add(2)).sum();
        loss.backward();

        Assert.All(backbone.parameters(), p => Assert.False(p.requires_grad));
        Assert.All(backbone.parameters(), p => Assert.Null(p.grad));
        for (var i = 0; i < batchNorms.Count; i++)
            Assert.True(batchNorms[i].running_mean!.eq(runningMeans[i]).all().item<bool>(), "running statistics must not move");
        Assert.Contains(network.named_parameters(), p => p.name.StartsWith("image_head.") && p.parameter.grad is not null);
    }

    [Fact]
    public void AnUnfrozenBackboneTrainsItsBatchNorm()
    {
        using var scope = NewDisposeScope();
        var backbone = new SmallConvBackbone(inputSize: 32);
        backbone.train();
        var before = backbone.modules().OfType<BatchNorm2d>().First().running_mean!.clone();
        backbone.forward(randn(4, 3, 32, 32).add(3));
        Assert.False(backbone.IsFrozen);
        Assert.False(backbone.modules().OfType<BatchNorm2d>().First().running_mean!.eq(before).all().item<bool>());
    }

    [Fact]
    public void AFrozenTextEncoderIsDeterministicUnderTrainAndGetsNoGradient()
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        var encoder = SmallEncoders.TextEncoder();
        var (ids, mask) = TokenBatch.Encode(encoder.Tokenizer, SmallEncoders.Sentences, maxLength: 16);
        encoder.train();
        // Dropout is active before freezing: two passes differ.
        Assert.False(encoder.forward(ids, mask).allclose(encoder.forward(ids, mask)));

        encoder.Freeze();
        encoder.train();
        var first = encoder.forward(ids, mask);
        Assert.True(first.eq(encoder.forward(ids, mask)).all().item<bool>(), "frozen: dropout off even in train()");
        Assert.False(first.requires_grad);
        Assert.All(encoder.parameters(), p => Assert.False(p.requires_grad));
    }
}
