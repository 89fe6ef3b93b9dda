namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>
/// How decoded RGB pixels become a backbone's input tensor: resize to <see cref="Width"/> x <see cref="Height"/>,
/// optionally reorder to BGR, scale, then subtract a per-channel mean (or a per-pixel mean image) and divide by a
/// per-channel standard deviation. One description serves training, inference and the feature cache key;
/// the image batching of the Data layer applies it.
/// </summary>
/// <param name="Width">Input width in pixels.</param>
/// <param name="Height">Input height in pixels.</param>
/// <param name="Bgr">Reorder channels to B, G, R (CNTK/Caffe-style models).</param>
/// <param name="Scale">Multiplier applied to 0-255 pixel values before the mean is subtracted.</param>
/// <param name="Mean">Per-channel means, in the output channel order, on the scaled values. Ignored (kept for
/// information) when a <paramref name="MeanImage"/> is given.</param>
/// <param name="Std">Per-channel standard deviations, in the output channel order.</param>
/// <param name="MeanImageKey">Names a per-pixel mean image that replaces <paramref name="Mean"/> (for example the
/// ResNet-18 ONNX package's); null for none. Part of <see cref="Key"/>, so it must change when the image does.</param>
/// <param name="MeanImage">The values of that mean image, [3, <paramref name="Height"/>, <paramref name="Width"/>]
/// in the output channel order, on the scaled values; required exactly when <paramref name="MeanImageKey"/> is set.</param>
internal sealed record ImagePreprocessing(
    int Width,
    int Height,
    bool Bgr,
    float Scale,
    float[] Mean,
    float[] Std,
    string? MeanImageKey = null,
    float[]? MeanImage = null)
{
    /// <summary>torchvision's ImageNet normalisation at 224 x 224.</summary>
    public static ImagePreprocessing ImageNet224 { get; } =
        new(224, 224, Bgr: false, Scale: 1f / 255f, Mean: [0.485f, 0.456f, 0.406f], Std: [0.229f, 0.224f, 0.225f]);

    /// <summary>A stable text that changes whenever any setting changes (feature cache keys use it).</summary>
    public string Key =>
        $"{Width}x{Height};bgr={Bgr};scale={Scale:R};mean={string.Join(",", Mean.Select(m => m.ToString("R")))};" +
        $"std={string.Join(",", Std.Select(s => s.ToString("R")))};meanImage={MeanImageKey ?? "none"}";

    /// <summary>Checks that the settings are usable; the image batching calls it before converting pixels.</summary>
    /// <exception cref="ArgumentException">Names the inconsistent setting.</exception>
    public void Validate()
    {
        if (Width <= 0 || Height <= 0)
            throw new ArgumentException($"Image preprocessing size must be positive, got {Width} x {Height}.");
        if (Mean is not { Length: 3 } || Std is not { Length: 3 })
            throw new ArgumentException(
                $"Image preprocessing needs 3 means and 3 standard deviations, got {Mean?.Length ?? 0} and {Std?.Length ?? 0}.");
        if (Std.Any(s => !(s > 0)))
            throw new ArgumentException($"Image preprocessing standard deviations must be positive, got [{string.Join(", ", Std)}].");
        if ((MeanImageKey is null) != (MeanImage is null))
            throw new ArgumentException("Image preprocessing needs both a MeanImageKey and MeanImage values, or neither.");
        if (MeanImage is not null && MeanImage.Length != 3L * Width * Height)
            throw new ArgumentException(
                $"Mean image '{MeanImageKey}' holds {MeanImage.Length} values, expected 3 x {Height} x {Width} = {3L * Width * Height}.");
    }
}
