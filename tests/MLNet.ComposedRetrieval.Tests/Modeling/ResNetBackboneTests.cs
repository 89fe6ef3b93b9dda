using MLNet.ComposedRetrieval.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Modeling;

public class ResNetBackboneTests
{
    [Fact]
    public void ResNet18HasTorchvisionParameterNamesAndCountWithoutFc()
    {
        using var model = new ResNetBackbone(ResNetArchitecture.ResNet18);
        var names = model.state_dict().Keys.ToHashSet();
        foreach (var expected in new[]
                 {
                     "conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                     "layer1.0.conv1.weight", "layer1.1.bn2.running_var", "layer2.0.downsample.0.weight",
                     "layer2.0.downsample.1.running_mean", "layer4.1.conv2.weight",
                 })
            Assert.Contains(expected, names);
        Assert.DoesNotContain(names, n => n.StartsWith("fc.", StringComparison.Ordinal));
        Assert.DoesNotContain("layer1.0.downsample.0.weight", names);
        Assert.DoesNotContain("layer4.2.conv1.weight", names);
        // torchvision resnet18: 11,689,512 parameters, of which fc holds 512 * 1000 + 1000.
        Assert.Equal(11_689_512 - 513_000, model.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void ResNet50HasBottleneckNamesAndTorchvisionParameterCount()
    {
        using var model = new ResNetBackbone(ResNetArchitecture.ResNet50);
        var names = model.state_dict().Keys.ToHashSet();
        Assert.Contains("layer1.0.downsample.0.weight", names);
        Assert.Contains("layer3.5.conv3.weight", names);
        Assert.Contains("layer4.2.bn3.running_var", names);
        Assert.Equal(2048, model.OutputChannels);
        // torchvision resnet50: 25,557,032 parameters, of which fc holds 2048 * 1000 + 1000.
        Assert.Equal(25_557_032 - 2_049_000, model.parameters().Sum(p => p.numel()));
    }

    [Theory]
    [InlineData(false, false, 512, 2)]
    [InlineData(false, true, 512, 4)]
    [InlineData(true, false, 2048, 2)]
    [InlineData(true, true, 2048, 4)]
    public void MapHasTheArchitecturesChannelsAndStride(bool bottleneck, bool layer4StrideOne, int channels, int side)
    {
        var architecture = (bottleneck ? ResNetArchitecture.ResNet50 : ResNetArchitecture.ResNet18) with { Layer4StrideOne = layer4StrideOne };
        using var model = new ResNetBackbone(architecture);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var images = randn(2, 3, 64, 64);
        var map = model.forward(images);
        Assert.Equal(new long[] { 2, channels, side, side }, map.shape);
        Assert.Equal(64 / architecture.OutputStride, side);
        var pooled = model.ForwardPooled(images);
        Assert.Equal(new long[] { 2, channels }, pooled.shape);
        Assert.True(allclose(pooled, map.mean([2, 3])));
    }

    [Fact]
    public void CntkLayoutHasAThirdBlockInLayer4()
    {
        using var model = new ResNetBackbone(ResNetArchitecture.ResNet18Cntk);
        Assert.Contains("layer4.2.bn2.running_mean", model.state_dict().Keys);
        Assert.Equal(ResNetArchitecture.ResNet18Cntk, model.Architecture);
    }

    [Fact]
    public void GradientsReachTheStemInTrainingMode()
    {
        using var model = new ResNetBackbone(ResNetArchitecture.ResNet18);
        model.train();
        using var scope = NewDisposeScope();
        model.ForwardPooled(randn(2, 3, 32, 32)).sum().backward();
        var stem = model.named_parameters().Single(p => p.name == "conv1.weight").parameter;
        Assert.NotNull(stem.grad);
        Assert.True(stem.grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void RejectsAnArchitectureWithoutFourStages() =>
        Assert.Throws<ArgumentException>(() => new ResNetBackbone(new ResNetArchitecture(ResNetBlockKind.Basic, [2, 2, 2])));
}
