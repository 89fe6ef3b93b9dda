namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>The residual block of a ResNet, as torchvision names them.</summary>
internal enum ResNetBlockKind
{
    /// <summary>Two 3x3 convolutions (ResNet-18/34); expansion 1.</summary>
    Basic,

    /// <summary>1x1, 3x3 (strided), 1x1 convolutions (ResNet-50/101, torchvision's "v1.5"); expansion 4.</summary>
    Bottleneck,
}
