using MLNet.ComposedRetrieval.Modeling;

namespace MLNet.ComposedRetrieval.Training;

/// <summary>
/// Inputs for frozen encoders: backbone maps and sentence features read from <see cref="FeatureCache"/>s filled
/// beforehand, so a training step runs only the compositor and heads. No augmentation applies to cached maps.
/// </summary>
internal sealed class CachedCompositionInputs(FeatureCache imageMaps, FeatureCache textFeatures) : ICompositionInputs
{
    public ImageInput Images(IReadOnlyList<string> imageIds, bool augment) => ImageInput.Maps(imageMaps.Load(imageIds));

    public TextInput Texts(IReadOnlyList<string> texts) => TextInput.Encoded(textFeatures.Load(texts));
}
