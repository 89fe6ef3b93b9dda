using MLNet.ComposedRetrieval.Modeling;
using MLNet.ComposedRetrieval.Modeling.Inference;
using MLNet.ComposedRetrieval.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Modeling.Inference;

public class FoldedResNetOneDnnTests
{
    // Small nets with both shortcut kinds: an identity block (the second of a stage) and a downsampling one.
    private static readonly ResNetArchitecture SmallBasic = new(ResNetBlockKind.Basic, [1, 2, 1, 1]);
    private static readonly ResNetArchitecture SmallBottleneck = new(ResNetBlockKind.Bottleneck, [2, 1, 1, 1]);

    /// <summary>Two folded copies of one random backbone (non-trivial batch norms): one dense, one using oneDNN.
    /// (Folding one backbone twice, because other test classes may draw from the global generator meanwhile.)</summary>
    private sealed record FoldedPair(FoldedResNet Dense, FoldedResNet OneDnn) : IDisposable
    {
        public void Dispose()
        {
            Dense.Dispose();
            OneDnn.Dispose();
        }
    }

    private static FoldedPair Pair(ResNetArchitecture architecture, int seed)
    {
        SkipWhereOneDnnIsBlocked();
        using var generator = new Generator((ulong)seed);
        using var model = new ResNetBackbone(architecture);
        using (no_grad())
            foreach (var weight in model.modules().OfType<Conv2d>().Select(c => c.weight!))
                weight.copy_(randn(weight.shape, generator: generator).mul_(Math.Sqrt(2.0 / (weight.shape[1] * weight.shape[2] * weight.shape[3]))));
        FoldedResNetTests.RandomizeBatchNorms(model, seed + 1);
        model.eval();
        var oneDnn = model.ToInference();
        Assert.True(oneDnn.TryUseOneDnn(out var reason), reason);
        return new FoldedPair(model.ToInference(), oneDnn);
    }

    [SkippableFact]
    public void OneDnnIsAvailableWithThisLibtorch()
    {
        SkipWhereOneDnnIsBlocked();
        Assert.Null(OneDnnOps.Availability);
    }

    /// <summary>On a host the check refuses (or with the switch off), oneDNN's layout must never run: nothing to test.</summary>
    private static void SkipWhereOneDnnIsBlocked() =>
        Skip.If(NativeFastPaths.OneDnnLayoutBlockedReason is not null, "oneDNN's layout is not used here: " + NativeFastPaths.OneDnnLayoutBlockedReason);

    [SkippableTheory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void OneDnnMatchesTheDenseFoldedPathForAnyBatchAndSize(bool bottleneck, bool layer4StrideOne)
    {
        var architecture = (bottleneck ? SmallBottleneck : SmallBasic) with { Layer4StrideOne = layer4StrideOne };
        using var pair = Pair(architecture, seed: 20);
        var (dense, oneDnn) = pair;
        Assert.True(oneDnn.UsesOneDnn);
        Assert.False(dense.UsesOneDnn);
        using var inference = inference_mode();

        // Every batch size and (non-square) input size, one after another on the same net.
        foreach (var (batch, height, width) in new[] { (1, 64, 64), (3, 48, 80), (1, 80, 40), (3, 64, 64) })
        {
            using var scope = NewDisposeScope();
            var images = randn(batch, 3, height, width);
            var expected = dense.forward(images);
            var actual = oneDnn.forward(images);
            Assert.Equal(expected.shape, actual.shape);
            Assert.True(expected.abs().max().item<float>() > 0.1, "the reference output should not be degenerate");
            Assert.InRange(FoldedResNetTests.RelativeError(actual, expected), 0, 1e-5);
            Assert.True(actual.is_contiguous(), "the layer4 map should come back dense and contiguous");
        }
    }

    [SkippableFact]
    public void OneDnnWorksInEveryGradModeAndOnChannelsLastImages()
    {
        using var pair = Pair(SmallBasic, seed: 21);
        var (dense, oneDnn) = pair;
        using var scope = NewDisposeScope();
        var images = randn(2, 3, 32, 48);
        Tensor expected;
        using (no_grad()) expected = dense.forward(images);

        Tensor plain = oneDnn.forward(images), underNoGrad, underInference, channelsLast;
        using (no_grad()) underNoGrad = oneDnn.forward(images);
        using (inference_mode()) underInference = oneDnn.forward(images);
        using (inference_mode()) channelsLast = oneDnn.forward(images.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2));

        foreach (var actual in new[] { plain, underNoGrad, underInference, channelsLast })
            Assert.InRange(FoldedResNetTests.RelativeError(actual, expected), 0, 1e-5);
        Assert.False(plain.requires_grad);
    }

    [SkippableFact]
    public void AConvolutionWithNonSquareGeometryAndGroupsRunsOnOneDnnTensors()
    {
        manual_seed(22);
        using var convolution = nn.Conv2d(4, 8, (3, 5), stride: (2, 1), padding: (1, 2), dilation: (1, 2), groups: 2, bias: true);
        using var norm = nn.BatchNorm2d(8);
        using (no_grad())
        {
            norm.running_mean!.copy_(randn(8));
            norm.running_var!.copy_(rand(8).add_(0.5));
        }
        norm.eval();
        using var folded = FoldedConvolution.Fold(convolution, norm);
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var input = randn(3, 4, 11, 17);

        var expected = folded.forward(input);
        var actual = folded.forward(OneDnnOps.ToOneDnn(input)).to_dense();

        Assert.Equal(expected.shape, actual.shape);
        Assert.InRange(FoldedResNetTests.RelativeError(actual, expected), 0, 1e-5);
    }

    [SkippableFact]
    public void ANetNotOfFloat32FallsBackToTheDensePathAndSaysWhy()
    {
        using var pair = Pair(SmallBasic, seed: 23);
        var folded = pair.Dense;
        folded.to(float64);

        Assert.False(folded.TryUseOneDnn(out var reason));
        Assert.Contains("Float64", reason, StringComparison.Ordinal);
        Assert.False(folded.UsesOneDnn);
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        Assert.Equal(ScalarType.Float64, folded.forward(randn(1, 3, 32, 32, float64)).dtype);
    }

    [SkippableFact]
    public void AOneDnnNetMovedToAnotherTypeRunsDense()
    {
        using var pair = Pair(SmallBasic, seed: 24);
        var (dense, oneDnn) = pair;
        dense.to(float64);
        oneDnn.to(float64);
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var images = randn(1, 3, 32, 32, float64);

        Assert.True(oneDnn.forward(images).equal(dense.forward(images)).all().item<bool>(), "float64 images must take the dense path");
    }

    [SkippableFact]
    public void FourThreadsCanShareOneOneDnnNet()
    {
        using var pair = Pair(SmallBasic, seed: 26);
        var (dense, oneDnn) = pair;
        var inputs = Enumerable.Range(0, 4).Select(i => randn(1 + i % 2, 3, 32 + 16 * i, 48)).ToArray();
        Tensor[] expected;
        using (inference_mode()) expected = inputs.Select(dense.forward).ToArray();
        var errors = new double[4, 6];

        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, thread =>
        {
            using var inference = inference_mode();
            for (var repeat = 0; repeat < 6; repeat++)
            {
                using var scope = NewDisposeScope();
                errors[thread, repeat] = FoldedResNetTests.RelativeError(oneDnn.forward(inputs[thread]), expected[thread]);
            }
        });

        Assert.All(errors.Cast<double>(), e => Assert.InRange(e, 0, 1e-5));
        foreach (var tensor in inputs.Concat(expected)) tensor.Dispose();
    }
}
