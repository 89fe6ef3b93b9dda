using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Modeling;

namespace MLNet.ComposedRetrieval.Training;

/// <summary>
/// Inputs for encoders that run inside the training step (fine-tuning, or small encoders): images are decoded by
/// <paramref name="imageSource"/> and go through the one preprocessing path (<see cref="ImageBatch"/>), with the
/// seeded training augmentation when asked; texts are tokenised for the text encoder.
/// </summary>
internal sealed class PixelCompositionInputs(
    Func<string, RgbImage> imageSource,
    ImagePreprocessing preprocessing,
    ITextTokenizer tokenizer,
    int maxTextLength = 64,
    TrainingImageAugmentation? augmentation = null) : ICompositionInputs
{
    public ImageInput Images(IReadOnlyList<string> imageIds, bool augment)
    {
        var images = imageIds.Select(id => ImageBatch.Prepare(imageSource(id), preprocessing, augment ? augmentation : null)).ToList();
        return ImageInput.Pixels(ImageBatch.FromImages(images, preprocessing));
    }

    public TextInput Texts(IReadOnlyList<string> texts)
    {
        var (ids, mask) = TokenBatch.Encode(tokenizer, texts, maxTextLength);
        return TextInput.Tokens(ids, mask);
    }
}
