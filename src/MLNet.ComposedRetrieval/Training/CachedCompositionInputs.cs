using MLNet.ComposedRetrieval.Modeling;

namespace MLNet.ComposedRetrieval.Training;

/// <summary>
/// Inputs for frozen encoders: backbone maps and sentence features read from <see cref="FeatureCache"/>s filled
/// beforehand, so a training step runs only the compositor and heads. No augmentation applies to cached maps.
/// When only one encoder is frozen, the other side comes from <c>live</c> inputs (pixels or tokens).
/// </summary>
internal sealed class CachedCompositionInputs : ICompositionInputs
{
    private readonly FeatureCache? _imageMaps;
    private readonly FeatureCache? _textFeatures;
    private readonly ICompositionInputs? _live;

    /// <summary>Both sides cached.</summary>
    public CachedCompositionInputs(FeatureCache imageMaps, FeatureCache textFeatures) : this(imageMaps, textFeatures, null) { }

    /// <summary>Each side from its cache when given, else from <paramref name="live"/>.</summary>
    public CachedCompositionInputs(FeatureCache? imageMaps, FeatureCache? textFeatures, ICompositionInputs? live)
    {
        if ((imageMaps is null || textFeatures is null) && live is null)
            throw new ArgumentException("A side without a feature cache needs live inputs.", nameof(live));
        _imageMaps = imageMaps;
        _textFeatures = textFeatures;
        _live = live;
    }

    public ImageInput Images(IReadOnlyList<string> imageIds, bool augment) =>
        _imageMaps is null ? _live!.Images(imageIds, augment) : ImageInput.Maps(_imageMaps.Load(imageIds));

    public TextInput Texts(IReadOnlyList<string> texts) =>
        _textFeatures is null ? _live!.Texts(texts) : TextInput.Encoded(_textFeatures.Load(texts));
}
