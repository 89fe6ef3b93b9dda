using MLNet.ComposedRetrieval.Modeling;
using MLNet.ComposedRetrieval.Modeling.Inference;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Modeling.Inference;

public class FoldedResNetTests
{
    /// <summary>Gives every batch norm non-trivial affine parameters and running statistics (fresh ones are the
    /// identity, which any folding would reproduce).</summary>
    internal static void RandomizeBatchNorms(ResNetBackbone model, int seed)
    {
        using var generator = new Generator((ulong)seed);
        using var noGrad = no_grad();
        foreach (var module in model.modules().OfType<BatchNorm2d>())
        {
            module.weight!.copy_(rand(module.weight.shape, generator: generator).add_(0.5));
            module.bias!.copy_(randn(module.bias.shape, generator: generator).mul_(0.2));
            module.running_mean!.copy_(randn(module.running_mean.shape, generator: generator).mul_(0.2));
            module.running_var!.copy_(rand(module.running_var.shape, generator: generator).add_(0.5));
        }
    }

    internal static double RelativeError(Tensor actual, Tensor expected) =>
        actual.sub(expected).abs().max().item<float>() / expected.abs().max().item<float>();

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void FoldedOutputMatchesTheEvalModeBackbone(bool bottleneck, bool layer4StrideOne)
    {
        manual_seed(5);
        var architecture = (bottleneck ? ResNetArchitecture.ResNet50 : ResNetArchitecture.ResNet18) with { Layer4StrideOne = layer4StrideOne };
        using var model = new ResNetBackbone(architecture);
        RandomizeBatchNorms(model, seed: 6);
        model.eval();
        using var folded = model.ToInference();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var images = randn(2, 3, 64, 64);

        var expected = model.forward(images);
        var actual = folded.forward(images);

        Assert.Equal(expected.shape, actual.shape);
        Assert.True(expected.abs().max().item<float>() > 0.1, "the reference output should not be degenerate");
        Assert.InRange(RelativeError(actual, expected), 0, 1e-4);
    }

    [Fact]
    public void FoldingLeavesTheBackboneAndItsNamesUntouched()
    {
        manual_seed(7);
        using var model = new ResNetBackbone(ResNetArchitecture.ResNet18);
        RandomizeBatchNorms(model, seed: 8);
        model.eval();
        var before = model.state_dict().ToDictionary(e => e.Key, e => e.Value.clone());

        using var folded = model.ToInference();

        var after = model.state_dict();
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        Assert.All(before, e => Assert.True(e.Value.equal(after[e.Key]).all().item<bool>(), e.Key));
        Assert.DoesNotContain(model.parameters(), p => !p.requires_grad);
        // One weight and one bias buffer per convolution (buffers move with .to(device) and are freed with the module).
        Assert.Equal(2 * model.modules().OfType<Conv2d>().Count(), folded.buffers().Count());
        Assert.DoesNotContain(folded.buffers(), b => b.requires_grad);
        foreach (var tensor in before.Values) tensor.Dispose();
    }

    [Fact]
    public void ATrainingStepAfterInferenceStillUsesRealBatchNorm()
    {
        manual_seed(9);
        using var model = new ResNetBackbone(ResNetArchitecture.ResNet18);
        RandomizeBatchNorms(model, seed: 10);
        model.eval();
        using var folded = model.ToInference();
        using var scope = NewDisposeScope();
        var images = randn(4, 3, 32, 32).mul_(3).add_(1);
        Tensor inferred;
        using (no_grad()) inferred = folded.forward(images);
        var bn1 = model.modules().OfType<BatchNorm2d>().First();
        var runningMeanBefore = bn1.running_mean!.clone();
        var stemBefore = model.named_parameters().Single(p => p.name == "conv1.weight").parameter.detach().clone();

        model.train();
        using var optimizer = optim.SGD(model.parameters(), 0.1);
        var trained = model.forward(images);
        trained.square().mean().backward();
        optimizer.step();

        // Batch statistics were used and tracked, and gradients reached the batch norms...
        Assert.False(bn1.running_mean!.allclose(runningMeanBefore), "running statistics should move in training mode");
        Assert.True(bn1.weight!.grad is { } grad && grad.abs().sum().item<float>() > 0, "batch norm weights should get gradients");
        Assert.False(trained.detach().allclose(inferred, rtol: 1e-3, atol: 1e-3), "training mode must not run the folded function");
        // ...and the folded copy is a snapshot: the step did not reach it.
        Assert.False(model.named_parameters().Single(p => p.name == "conv1.weight").parameter.detach().equal(stemBefore).all().item<bool>());
        using (no_grad()) Assert.True(folded.forward(images).equal(inferred).all().item<bool>());
    }

    [Fact]
    public void FoldedResNetRefusesTrainingMode()
    {
        using var model = new ResNetBackbone(ResNetArchitecture.ResNet18);
        using var folded = model.ToInference();
        Assert.False(folded.training);
        var error = Assert.Throws<InvalidOperationException>(() => folded.train());
        Assert.Contains("inference only", error.Message, StringComparison.Ordinal);
        folded.eval();
    }

    [Fact]
    public void FoldingABatchNormOfTheWrongWidthNamesBoth()
    {
        using var convolution = nn.Conv2d(3, 8, 3, padding: 1, bias: false);
        using var norm = nn.BatchNorm2d(4);
        var error = Assert.Throws<ArgumentException>(() => FoldedConvolution.Fold(convolution, norm));
        Assert.Contains("4 channels", error.Message, StringComparison.Ordinal);
        Assert.Contains("8 output channels", error.Message, StringComparison.Ordinal);
    }
}
