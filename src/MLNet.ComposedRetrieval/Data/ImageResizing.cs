using SkiaSharp;

namespace MLNet.ComposedRetrieval.Data;

/// <summary>
/// Resizes (a region of) an <see cref="RgbImage"/> with SkiaSharp. The aspect ratio is not kept: docs/method.md's
/// evaluation transform resizes straight to 224 x 224, and random-resized crops are stretched the same way.
/// </summary>
internal static class ImageResizing
{
    /// <summary>
    /// Skia's medium quality is bilinear filtering, with mipmaps when shrinking, which is close to torchvision's
    /// bilinear, antialiased <c>Resize</c> that the paper's code uses.
    /// </summary>
    private const SKFilterQuality Quality = SKFilterQuality.Medium;

    public static RgbImage Resize(RgbImage image, int width, int height) =>
        image.Width == width && image.Height == height
            ? image
            : ResizeRegion(image, new SKRectI(0, 0, image.Width, image.Height), width, height);

    /// <summary>Crops <paramref name="region"/> (pixels, right/bottom exclusive) and stretches it to the given size.</summary>
    public static RgbImage ResizeRegion(RgbImage image, SKRectI region, int width, int height)
    {
        if (region.Left < 0 || region.Top < 0 || region.Right > image.Width || region.Bottom > image.Height || region.IsEmpty)
            throw new ArgumentOutOfRangeException(nameof(region),
                $"Region {region} is not a non-empty part of a {image.Width} x {image.Height} image.");
        using var source = SkiaPixels.ToBitmap(image);
        using var cropped = new SKBitmap();
        if (!source.ExtractSubset(cropped, region))
            throw new InvalidOperationException($"SkiaSharp could not take region {region} of a {image.Width} x {image.Height} image.");
        using var resized = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        if (!cropped.ScalePixels(resized, Quality))
            throw new InvalidOperationException($"SkiaSharp could not resize a {region.Width} x {region.Height} region to {width} x {height}.");
        return SkiaPixels.ToRgbImage(resized);
    }
}
