using SkiaSharp;

namespace MLNet.ComposedRetrieval.Data;

/// <summary>Copies between <see cref="RgbImage"/> and SkiaSharp's 4-byte RGBA bitmaps (Skia has no 3-byte format).</summary>
internal static class SkiaPixels
{
    // Pointer loops: with span indexing the bounds checks cost more than the copies (a 224 x 224 image is on every query's path).
    public static unsafe RgbImage ToRgbImage(SKBitmap bitmap)
    {
        if (bitmap.ColorType != SKColorType.Rgba8888)
            throw new ArgumentException($"Expected an Rgba8888 bitmap, got {bitmap.ColorType}.", nameof(bitmap));
        int width = bitmap.Width, height = bitmap.Height, rowBytes = bitmap.RowBytes;
        var pixels = (byte*)bitmap.GetPixels();
        var rgb = new byte[width * height * 3];
        fixed (byte* target = rgb)
        {
            for (int y = 0; y < height; y++)
            {
                byte* source = pixels + (long)y * rowBytes, end = source + width * 4, destination = target + (long)y * width * 3;
                for (; source < end; source += 4, destination += 3)
                {
                    destination[0] = source[0];
                    destination[1] = source[1];
                    destination[2] = source[2];
                }
            }
        }
        return new RgbImage(width, height, rgb);
    }

    /// <summary>An opaque Rgba8888 bitmap holding <paramref name="image"/>; the caller disposes it.</summary>
    public static unsafe SKBitmap ToBitmap(RgbImage image)
    {
        var bitmap = new SKBitmap(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        int width = image.Width, rowBytes = bitmap.RowBytes;
        var pixels = (byte*)bitmap.GetPixels();
        fixed (byte* rgb = image.Rgb)
        {
            for (int y = 0; y < image.Height; y++)
            {
                byte* source = rgb + (long)y * width * 3, end = source + width * 3, destination = pixels + (long)y * rowBytes;
                for (; source < end; source += 3, destination += 4)
                {
                    destination[0] = source[0];
                    destination[1] = source[1];
                    destination[2] = source[2];
                    destination[3] = 255;
                }
            }
        }
        return bitmap;
    }
}
