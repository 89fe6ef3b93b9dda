namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>
/// The shape of a ResNet backbone: block kind, blocks per stage (layer1..layer4), and whether layer4 keeps the
/// resolution of layer3 (stride 1; the paper's code does this for FashionIQ and Shoes, giving a 14x14 map at
/// 224 input; docs/method.md "Network").
/// </summary>
internal sealed record ResNetArchitecture(ResNetBlockKind Block, IReadOnlyList<int> BlockCounts, bool Layer4StrideOne = false)
{
    /// <summary>torchvision's resnet18: basic blocks [2, 2, 2, 2].</summary>
    public static ResNetArchitecture ResNet18 { get; } = new(ResNetBlockKind.Basic, [2, 2, 2, 2]);

    /// <summary>The ResNet-18 of <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> (a CNTK model): basic blocks
    /// [2, 2, 2, 3], one block more in layer4 than torchvision's.</summary>
    public static ResNetArchitecture ResNet18Cntk { get; } = new(ResNetBlockKind.Basic, [2, 2, 2, 3]);

    /// <summary>torchvision's resnet50 (the paper's image backbone): bottleneck blocks [3, 4, 6, 3].</summary>
    public static ResNetArchitecture ResNet50 { get; } = new(ResNetBlockKind.Bottleneck, [3, 4, 6, 3]);

    /// <summary>Output channels of a block relative to its width (64, 128, 256, 512 per stage).</summary>
    public int Expansion => Block == ResNetBlockKind.Basic ? 1 : 4;

    /// <summary>C, the channel count of the layer4 map: 512 for basic blocks, 2048 for bottlenecks.</summary>
    public int OutputChannels => 512 * Expansion;

    /// <summary>How much smaller the layer4 map is than the input: 32, or 16 with <see cref="Layer4StrideOne"/>.</summary>
    public int OutputStride => Layer4StrideOne ? 16 : 32;

    /// <summary>Checks there are four stages with at least one block each.</summary>
    public void Validate()
    {
        if (BlockCounts is not { Count: 4 } || BlockCounts.Any(n => n < 1))
            throw new ArgumentException(
                $"A ResNet needs a positive block count for each of its 4 stages, got [{string.Join(", ", BlockCounts ?? [])}].");
    }

    /// <summary>Value equality, block counts compared element by element (a record would compare the list reference).</summary>
    public bool Equals(ResNetArchitecture? other) =>
        other is not null && Block == other.Block && Layer4StrideOne == other.Layer4StrideOne
        && BlockCounts.SequenceEqual(other.BlockCounts);

    public override int GetHashCode() =>
        HashCode.Combine(Block, Layer4StrideOne, string.Join(",", BlockCounts));

    /// <summary>A readable name such as "Basic[2,2,2,3]" (with "/layer4-stride1" when set).</summary>
    public override string ToString() =>
        $"{Block}[{string.Join(",", BlockCounts)}]{(Layer4StrideOne ? "/layer4-stride1" : "")}";
}
