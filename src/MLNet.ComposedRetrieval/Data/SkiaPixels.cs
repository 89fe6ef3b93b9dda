using SkiaSharp;

namespace MLNet.ComposedRetrieval.Data;

/// <summary>Copies between <see cref="RgbImage"/> and SkiaSharp's 4-byte RGBA bitmaps (Skia has no 3-byte format).</summary>
internal static class SkiaPixels
{
    public static RgbImage ToRgbImage(SKBitmap bitmap)
    {
        if (bitmap.ColorType != SKColorType.Rgba8888)
            throw new ArgumentException($"Expected an Rgba8888 bitmap, got {bitmap.ColorType}.", nameof(bitmap));
        int width = bitmap.Width, height = bitmap.Height, rowBytes = bitmap.RowBytes;
        var pixels = bitmap.GetPixelSpan();
        var rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        {
            var row = pixels.Slice(y * rowBytes, width * 4);
            var target = rgb.AsSpan(y * width * 3, width * 3);
            for (int x = 0, s = 0, d = 0; x < width; x++, s += 4, d += 3)
            {
                target[d] = row[s];
                target[d + 1] = row[s + 1];
                target[d + 2] = row[s + 2];
            }
        }
        return new RgbImage(width, height, rgb);
    }

    /// <summary>An opaque Rgba8888 bitmap holding <paramref name="image"/>; the caller disposes it.</summary>
    public static unsafe SKBitmap ToBitmap(RgbImage image)
    {
        var bitmap = new SKBitmap(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        int rowBytes = bitmap.RowBytes;
        var pixels = new Span<byte>((void*)bitmap.GetPixels(), rowBytes * image.Height);
        for (int y = 0; y < image.Height; y++)
        {
            var source = image.Rgb.AsSpan(y * image.Width * 3, image.Width * 3);
            var row = pixels.Slice(y * rowBytes, image.Width * 4);
            for (int x = 0, s = 0, d = 0; x < image.Width; x++, s += 3, d += 4)
            {
                row[d] = source[s];
                row[d + 1] = source[s + 1];
                row[d + 2] = source[s + 2];
                row[d + 3] = 255;
            }
        }
        return bitmap;
    }
}
