using MLNet.ComposedRetrieval.Modeling;

namespace MLNet.ComposedRetrieval.Training;

/// <summary>Images from one source and texts from another: fine-tuning one encoder while the other stays cached.</summary>
internal sealed class CompositeInputs(ICompositionInputs images, ICompositionInputs texts) : ICompositionInputs
{
    public ImageInput Images(IReadOnlyList<string> imageIds, bool augment) => images.Images(imageIds, augment);

    public TextInput Texts(IReadOnlyList<string> batch) => texts.Texts(batch);
}
