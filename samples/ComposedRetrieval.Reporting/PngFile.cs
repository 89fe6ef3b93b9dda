using MLNet.ComposedRetrieval.Storage;
using SkiaSharp;

namespace MLNet.ComposedRetrieval.Reporting;

/// <summary>Encodes bitmaps as PNG and writes them through a temporary file.</summary>
public static class PngFile
{
    public static byte[] Encode(SKBitmap bitmap)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException($"SkiaSharp could not encode a {bitmap.Width} x {bitmap.Height} bitmap as PNG.");
        return data.ToArray();
    }

    public static void Save(SKBitmap bitmap, string path) => AtomicFile.WriteAllBytes(path, Encode(bitmap));
}
