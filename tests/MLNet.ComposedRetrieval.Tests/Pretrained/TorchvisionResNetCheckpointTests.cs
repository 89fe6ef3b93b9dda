using MLNet.ComposedRetrieval.Modeling;
using MLNet.ComposedRetrieval.Pretrained;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Pretrained;

public sealed class TorchvisionResNetCheckpointTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mlnet-cr-torchvision-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void ClassifierKeysAreIgnoredAndEverythingElseLoads()
    {
        using var scope = NewDisposeScope();
        using var source = new ResNetBackbone(ResNetArchitecture.ResNet18);
        // A torchvision classification state dict: the backbone's tensors plus fc, under a training wrapper's prefix.
        var state = source.state_dict().ToDictionary(e => "model." + e.Key, e => e.Value);
        state["model.fc.weight"] = randn(1000, 512);
        state["model.fc.bias"] = zeros(1000);
        var path = Path.Combine(_folder, "resnet18-classifier.safetensors");
        Safetensors.SaveStateDict(path, state);

        using var loaded = TorchvisionResNetCheckpoint.Load(path, ResNetArchitecture.ResNet18 with { Layer4StrideOne = true }, "model.");
        Assert.True(loaded.Architecture.Layer4StrideOne);
        foreach (var (key, tensor) in source.state_dict())
            Assert.True(tensor.eq(loaded.state_dict()[key]).all().item<bool>(), $"{key} differs");

        var wrongLayout = Assert.Throws<InvalidDataException>(() => TorchvisionResNetCheckpoint.Load(path, ResNetArchitecture.ResNet18Cntk, "model."));
        Assert.Contains("layer4.2.conv1.weight", wrongLayout.Message);
        Assert.DoesNotContain("fc.weight", wrongLayout.Message);
    }
}
