using SkiaSharp;

namespace MLNet.ComposedRetrieval.Data;

/// <summary>Copies between <see cref="RgbImage"/> and 4-byte RGBA/BGRA pixels (SkiaSharp bitmaps, ML.NET <c>MLImage</c>s;
/// Skia has no 3-byte format).</summary>
internal static class SkiaPixels
{
    /// <summary>The pixels of a premultiplied (or opaque) Rgba8888 bitmap, composited over white.</summary>
    public static RgbImage ToRgbImage(SKBitmap bitmap)
    {
        if (bitmap.ColorType != SKColorType.Rgba8888)
            throw new ArgumentException($"Expected an Rgba8888 bitmap, got {bitmap.ColorType}.", nameof(bitmap));
        if (bitmap.AlphaType is not (SKAlphaType.Premul or SKAlphaType.Opaque))
            throw new ArgumentException($"Expected premultiplied or opaque pixels, got {bitmap.AlphaType}.", nameof(bitmap));
        return CompositeOverWhite(bitmap.GetPixelSpan(), bitmap.Width, bitmap.Height, bitmap.RowBytes, redOffset: 0, blueOffset: 2);
    }

    /// <summary>
    /// The one conversion from 4-byte pixels to <see cref="RgbImage"/>, for decoded files and <c>MLImage</c>s alike:
    /// premultiplied colour composited over white, <c>c + (255 - alpha)</c>, so transparent areas become white (the
    /// background of catalogue photos) and opaque pixels keep their colour. It is exact in bytes, so a file and the
    /// <c>MLImage</c> that <c>LoadImages</c> decodes from it (premultiplied too) give identical images. A colour
    /// above its alpha (not premultiplied) saturates at 255.
    /// </summary>
    /// <param name="pixels">Rows of 4-byte pixels, alpha last.</param>
    /// <param name="width">Pixels per row.</param>
    /// <param name="height">Rows.</param>
    /// <param name="rowBytes">Bytes from one row to the next (at least 4 x <paramref name="width"/>).</param>
    /// <param name="redOffset">Where red is in a pixel (0 for RGBA, 2 for BGRA).</param>
    /// <param name="blueOffset">Where blue is in a pixel (2 for RGBA, 0 for BGRA).</param>
    // Pointer loops: with span indexing the bounds checks cost more than the copies (a 224 x 224 image is on every query's path).
    public static unsafe RgbImage CompositeOverWhite(ReadOnlySpan<byte> pixels, int width, int height, int rowBytes, int redOffset, int blueOffset)
    {
        if (rowBytes < width * 4 || pixels.Length < (long)rowBytes * (height - 1) + width * 4)
            throw new ArgumentException($"{pixels.Length} bytes cannot hold {height} rows of {width} 4-byte pixels {rowBytes} bytes apart.", nameof(pixels));
        var rgb = new byte[width * height * 3];
        fixed (byte* first = pixels)
        fixed (byte* target = rgb)
        {
            for (int y = 0; y < height; y++)
            {
                byte* source = first + (long)y * rowBytes, end = source + width * 4, destination = target + (long)y * width * 3;
                for (; source < end; source += 4, destination += 3)
                {
                    int background = 255 - source[3];
                    destination[0] = (byte)Math.Min(source[redOffset] + background, 255);
                    destination[1] = (byte)Math.Min(source[1] + background, 255);
                    destination[2] = (byte)Math.Min(source[blueOffset] + background, 255);
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
