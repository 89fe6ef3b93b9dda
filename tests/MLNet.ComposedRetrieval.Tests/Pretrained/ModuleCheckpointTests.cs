using MLNet.ComposedRetrieval.Modeling;
using MLNet.ComposedRetrieval.Pretrained;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Pretrained;

public sealed class ModuleCheckpointTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mlnet-cr-checkpoint-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("resnet50.pt")]
    [InlineData("resnet50.safetensors")]
    public void ResNet50RoundTripsEveryParameterAndBuffer(string fileName)
    {
        var path = Path.Combine(_folder, fileName);
        using var saved = new ResNetBackbone(ResNetArchitecture.ResNet50);
        RandomizeBatchNormStatistics(saved);
        ModuleCheckpoint.Save(saved, path);

        using var loaded = new ResNetBackbone(ResNetArchitecture.ResNet50);
        Assert.False(Same(loaded.state_dict()["conv1.weight"], saved.state_dict()["conv1.weight"]));
        ModuleCheckpoint.Load(loaded, path);

        var expected = saved.state_dict();
        var actual = loaded.state_dict();
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (key, tensor) in expected)
            Assert.True(Same(tensor, actual[key]), $"{key} differs after loading {fileName}");
    }

    [Fact]
    public void MissingAndUnexpectedKeysAreNamed()
    {
        var path = Path.Combine(_folder, "resnet18.safetensors");
        using (var torchvisionLayout = new ResNetBackbone(ResNetArchitecture.ResNet18)) ModuleCheckpoint.Save(torchvisionLayout, path);

        using var cntkLayout = new ResNetBackbone(ResNetArchitecture.ResNet18Cntk);
        var missing = Assert.Throws<InvalidDataException>(() => ModuleCheckpoint.Load(cntkLayout, path));
        Assert.Contains("missing keys", missing.Message);
        Assert.Contains("layer4.2.conv1.weight", missing.Message);
        Assert.DoesNotContain("unexpected keys", missing.Message);
        Assert.DoesNotContain("num_batches_tracked", missing.Message);

        var cntkPath = Path.Combine(_folder, "cntk-layout.pt");
        ModuleCheckpoint.Save(cntkLayout, cntkPath);
        using var resnet18 = new ResNetBackbone(ResNetArchitecture.ResNet18);
        var unexpected = Assert.Throws<InvalidDataException>(() => ModuleCheckpoint.Load(resnet18, cntkPath));
        Assert.Contains("unexpected keys", unexpected.Message);
        Assert.Contains("layer4.2.bn2.running_var", unexpected.Message);
        Assert.Contains(cntkPath, unexpected.Message);
    }

    [Fact]
    public void ShapeMismatchesAreNamedWithBothShapes()
    {
        var path = Path.Combine(_folder, "linear.pt");
        using (var wide = nn.Linear(4, 3)) ModuleCheckpoint.Save(wide, path);
        using var narrow = nn.Linear(4, 2);
        var error = Assert.Throws<InvalidDataException>(() => ModuleCheckpoint.Load(narrow, path));
        Assert.Contains("weight: checkpoint [3, 4], module [2, 4]", error.Message);
        Assert.Contains("bias: checkpoint [3], module [2]", error.Message);
    }

    [Theory]
    [InlineData("whole.pt")]
    [InlineData("whole.safetensors")]
    public void KeyPrefixSelectsAndStripsASubmodule(string fileName)
    {
        var path = Path.Combine(_folder, fileName);
        using var whole = nn.Sequential(("backbone", nn.Linear(4, 3)), ("head", nn.Linear(3, 2)));
        ModuleCheckpoint.Save(whole, path);

        using var backbone = nn.Linear(4, 3);
        var error = Assert.Throws<InvalidDataException>(() => ModuleCheckpoint.Load(backbone, path));
        Assert.Contains("backbone.weight", error.Message);

        ModuleCheckpoint.Load(backbone, path, keyPrefix: "backbone.");
        Assert.True(Same(backbone.weight!, whole.state_dict()["backbone.weight"]));

        var wrongPrefix = Assert.Throws<InvalidDataException>(() => ModuleCheckpoint.Load(backbone, path, keyPrefix: "module."));
        Assert.Contains("no key starting with 'module.'", wrongPrefix.Message);
    }

    [Fact]
    public void AFileThatIsNoCheckpointIsReportedByName()
    {
        var path = Path.Combine(_folder, "notes.pt");
        File.WriteAllText(path, "not a checkpoint at all");
        using var module = nn.Linear(2, 2);
        var error = Assert.Throws<InvalidDataException>(() => ModuleCheckpoint.Load(module, path));
        Assert.Contains(path, error.Message);
        Assert.Throws<FileNotFoundException>(() => ModuleCheckpoint.Load(module, Path.Combine(_folder, "absent.pt")));
    }

    private static bool Same(Tensor a, Tensor b) =>
        a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    private static void RandomizeBatchNormStatistics(nn.Module module)
    {
        using var noGrad = no_grad();
        foreach (var (name, buffer) in module.named_buffers())
        {
            if (name.EndsWith("running_mean", StringComparison.Ordinal)) buffer.copy_(randn_like(buffer));
            else if (name.EndsWith("running_var", StringComparison.Ordinal)) buffer.copy_(rand_like(buffer) + 0.5);
            else if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal)) buffer.fill_(7);
        }
    }
}
