using MLNet.ComposedRetrieval.Modeling;

namespace MLNet.ComposedRetrieval.Training;

/// <summary>
/// Where training and evaluation get their tensors: images by id and texts by content. Implementations decide
/// whether that means decoding and preprocessing pixels (fine-tuning) or reading a feature cache (frozen encoders),
/// so the loop and the evaluator are the same for both.
/// </summary>
internal interface ICompositionInputs
{
    /// <summary>A batch of images; <paramref name="augment"/> asks for training-time augmentation where it applies.</summary>
    ImageInput Images(IReadOnlyList<string> imageIds, bool augment);

    /// <summary>A batch of modification texts.</summary>
    TextInput Texts(IReadOnlyList<string> texts);
}
