namespace MLNet.ComposedRetrieval;

/// <summary>The image encoder (the lower part of the image branch) of a <see cref="ComposeImageTextEstimator"/>.</summary>
public enum ImageEncoderArchitecture
{
    /// <summary>
    /// The ImageNet-pretrained ResNet-18 of the NuGet package <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>
    /// (224 x 224 inputs, 512-channel map). The default.
    /// </summary>
    ResNet18 = 0,

    /// <summary>
    /// A small, randomly initialised convolutional network (three stride-2 stages, 64 channels, a 4 x 4 map), for tests,
    /// demos and tiny images; it must be trained (frozen, it stays a random projection).
    /// </summary>
    SmallConvNet = 1,
}
