using Microsoft.ML.Data;

namespace MLNet.ComposedRetrieval.Data;

/// <summary>
/// A decoded image as 8-bit R, G, B bytes, row by row (3 bytes per pixel, no row padding). The hand-over point
/// between decoding (files, raw bytes, ML.NET <see cref="MLImage"/>) and the pixels-to-tensor step
/// (<see cref="ImageBatch"/>), so every source of images meets the same preprocessing.
/// </summary>
internal sealed class RgbImage
{
    /// <summary>Wraps <paramref name="rgb"/> (not copied).</summary>
    /// <exception cref="ArgumentException">The byte count is not <c>width * height * 3</c>.</exception>
    public RgbImage(int width, int height, byte[] rgb)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentNullException.ThrowIfNull(rgb);
        if (rgb.Length != (long)width * height * 3)
            throw new ArgumentException(
                $"A {width} x {height} RGB image needs {(long)width * height * 3} bytes, got {rgb.Length}.", nameof(rgb));
        Width = width;
        Height = height;
        Rgb = rgb;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>R, G, B bytes of pixel (x, y) at <c>3 * (y * Width + x)</c>.</summary>
    public byte[] Rgb { get; }

    /// <summary>The pixels of an ML.NET image, through the conversion decoded files take
    /// (<see cref="SkiaPixels.CompositeOverWhite"/>): its pixels are taken as premultiplied, as <c>LoadImages</c> decodes
    /// them, and composited over white; opaque pixels keep their colour.</summary>
    public static RgbImage FromMLImage(MLImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        (int red, int blue) = image.PixelFormat switch
        {
            MLPixelFormat.Rgba32 => (0, 2),
            MLPixelFormat.Bgra32 => (2, 0),
            var other => throw new ArgumentException($"MLImage pixel format {other} is not supported; expected Rgba32 or Bgra32.", nameof(image)),
        };
        var source = image.Pixels;
        long count = (long)image.Width * image.Height;
        if (source.Length != count * 4)
            throw new ArgumentException(
                $"MLImage of {image.Width} x {image.Height} holds {source.Length} bytes, expected {count * 4} (4 per pixel).", nameof(image));
        return SkiaPixels.CompositeOverWhite(source, image.Width, image.Height, image.Width * 4, red, blue);
    }

    /// <summary>The image mirrored left to right (training augmentation).</summary>
    public RgbImage FlipHorizontally()
    {
        var flipped = new byte[Rgb.Length];
        int rowBytes = Width * 3;
        for (int y = 0; y < Height; y++)
        {
            var source = Rgb.AsSpan(y * rowBytes, rowBytes);
            var target = flipped.AsSpan(y * rowBytes, rowBytes);
            for (int x = 0; x < Width; x++)
                source.Slice(x * 3, 3).CopyTo(target.Slice((Width - 1 - x) * 3, 3));
        }
        return new RgbImage(Width, Height, flipped);
    }
}
