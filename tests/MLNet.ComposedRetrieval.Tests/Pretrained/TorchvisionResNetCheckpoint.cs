using MLNet.ComposedRetrieval.Modeling;
using static TorchSharp.torch;

using MLNet.ComposedRetrieval.Pretrained;

namespace MLNet.ComposedRetrieval.Tests.Pretrained;

/// <summary>
/// Builds a <see cref="ResNetBackbone"/> from a torchvision-layout checkpoint, such as torchvision's ImageNet
/// <c>resnet50-*.pth</c> (the paper's backbone) or a trained model's backbone under a key prefix. The classifier
/// (<c>fc.*</c>), which the backbone does not have, is ignored; every other key must match.
/// </summary>
internal static class TorchvisionResNetCheckpoint
{
    private const string ClassifierPrefix = "fc.";

    /// <param name="path">A PyTorch zip checkpoint or a .safetensors file.</param>
    /// <param name="architecture">The layout the checkpoint holds, e.g. <see cref="ResNetArchitecture.ResNet50"/>
    /// (with <see cref="ResNetArchitecture.Layer4StrideOne"/> as wanted; the weights are the same).</param>
    /// <param name="keyPrefix">Selects and strips keys, as in <see cref="ModuleCheckpoint.Load(TorchSharp.torch.nn.Module, string, string?)"/>.</param>
    /// <param name="preprocessing">How the checkpoint's images were prepared; torchvision's ImageNet normalisation by default.</param>
    /// <exception cref="InvalidDataException">Names missing and unexpected keys and shape mismatches.</exception>
    public static ResNetBackbone Load(string path, ResNetArchitecture architecture, string? keyPrefix = null,
        ImagePreprocessing? preprocessing = null)
    {
        var backbone = new ResNetBackbone(architecture, preprocessing);
        try
        {
            using var scope = NewDisposeScope();
            var state = ModuleCheckpoint.Read(path, keyPrefix);
            foreach (var key in state.Keys.Where(k => k.StartsWith(ClassifierPrefix, StringComparison.Ordinal)).ToList())
                state.Remove(key);
            ModuleCheckpoint.Load(backbone, state, keyPrefix is null ? path : $"{path} (keys under '{keyPrefix}')");
            return backbone;
        }
        catch
        {
            backbone.Dispose();
            throw;
        }
    }
}
