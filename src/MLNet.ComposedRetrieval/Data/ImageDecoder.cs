using SkiaSharp;

namespace MLNet.ComposedRetrieval.Data;

/// <summary>
/// Decodes encoded images (JPEG, PNG and the other formats SkiaSharp reads) into <see cref="RgbImage"/>s.
/// Alpha, if any, is dropped without compositing, as PIL's <c>convert("RGB")</c> does in the paper's code.
/// </summary>
internal static class ImageDecoder
{
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not an image SkiaSharp can decode.</exception>
    public static RgbImage Decode(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Image file '{path}' does not exist.", path);
        return Decode(File.ReadAllBytes(path), path);
    }

    /// <param name="encoded">The bytes of an encoded image file.</param>
    /// <param name="source">Names the image in error messages.</param>
    public static RgbImage Decode(ReadOnlySpan<byte> encoded, string source)
    {
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data)
            ?? throw new InvalidDataException($"'{source}' is not an image format SkiaSharp can decode.");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = SKBitmap.Decode(codec, info)
            ?? throw new InvalidDataException($"'{source}' could not be decoded ({codec.EncodedFormat}).");
        return SkiaPixels.ToRgbImage(bitmap);
    }
}
