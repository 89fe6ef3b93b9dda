using MLNet.ComposedRetrieval.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Native;

public class TorchSharpRuntimeTests
{
    [Fact]
    public void TensorOpsConvolutionAndAutogradRun()
    {
        TorchSharpRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        var x = randn(2, 3, 8, 8, requires_grad: true);
        var conv = nn.Conv2d(3, 4, 3, padding: 1);
        var y = conv.forward(x).relu().sum();
        y.backward();
        Assert.NotNull(x.grad);
        Assert.Equal(new long[] { 2, 3, 8, 8 }, x.grad!.shape);
        Assert.True(x.grad.abs().sum().item<float>() > 0);
        Assert.DoesNotContain("failed", TorchSharpRuntime.Status);
        Console.WriteLine(TorchSharpRuntime.Status);
    }
}
