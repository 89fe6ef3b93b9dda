using SkiaSharp;

namespace MLNet.ComposedRetrieval.Data;

/// <summary>
/// Decodes encoded images (JPEG, PNG and the other formats SkiaSharp reads) into <see cref="RgbImage"/>s, within
/// <see cref="ImageLimits"/>. Pixels are decoded premultiplied, as ML.NET's <c>LoadImages</c> decodes them, and
/// converted by <see cref="SkiaPixels.CompositeOverWhite"/>, the conversion <see cref="RgbImage.FromMLImage"/> uses too:
/// a file and the <c>MLImage</c> loaded from it give the same pixels, transparent areas white.
/// </summary>
internal static class ImageDecoder
{
    private const int ReadChunkBytes = 1 << 16;

    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not an image SkiaSharp can decode, or exceeds the limits.</exception>
    public static RgbImage Decode(string path) => Decode(path, ImageLimits.Default);

    /// <inheritdoc cref="Decode(string)"/>
    public static RgbImage Decode(string path, ImageLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (!File.Exists(path)) throw new FileNotFoundException($"Image file '{path}' does not exist.", path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        return Decode(stream, path, limits);
    }

    /// <summary>Reads <paramref name="stream"/> to its end (never more than the limit) and decodes it.</summary>
    /// <param name="stream">The encoded image.</param>
    /// <param name="source">Names the image in error messages.</param>
    /// <param name="limits">The limits.</param>
    public static RgbImage Decode(Stream stream, string source, ImageLimits limits)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(limits);
        var (bytes, length) = ReadBounded(stream, source, limits.MaxFileBytes);
        return Decode(bytes.AsSpan(0, length), source, limits);
    }

    /// <param name="encoded">The bytes of an encoded image file.</param>
    /// <param name="source">Names the image in error messages.</param>
    public static RgbImage Decode(ReadOnlySpan<byte> encoded, string source) => Decode(encoded, source, ImageLimits.Default);

    /// <inheritdoc cref="Decode(ReadOnlySpan{byte}, string)"/>
    /// <param name="encoded">The bytes of an encoded image file.</param>
    /// <param name="source">Names the image in error messages.</param>
    /// <param name="limits">The limits.</param>
    public static RgbImage Decode(ReadOnlySpan<byte> encoded, string source, ImageLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (encoded.Length > limits.MaxFileBytes) throw TooLarge(source, $"is {encoded.Length} bytes", limits.MaxFileBytes);
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data)
            ?? throw new InvalidDataException($"'{source}' is not an image format SkiaSharp can decode.");
        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if ((long)width * height > limits.MaxPixels)
            throw new InvalidDataException(
                $"Image '{source}' is {width} x {height} = {(long)width * height} pixels, more than the limit of {limits.MaxPixels} " +
                $"(environment variable {ImageLimits.MaxPixelsVariable} raises it).");
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var bitmap = SKBitmap.Decode(codec, info)
            ?? throw new InvalidDataException($"'{source}' could not be decoded ({codec.EncodedFormat}).");
        return SkiaPixels.ToRgbImage(bitmap);
    }

    /// <summary>The whole stream, failing as soon as it holds more than <paramref name="maxBytes"/> (streams that
    /// report no length, such as devices, are read in chunks up to the limit).</summary>
    private static (byte[] Buffer, int Length) ReadBounded(Stream stream, string source, long maxBytes)
    {
        long known = stream.CanSeek ? stream.Length - stream.Position : 0;
        if (known > maxBytes) throw TooLarge(source, $"is {known} bytes", maxBytes);
        // One byte past the limit tells "exactly at the limit" from "over it".
        long cap = Math.Min(maxBytes + 1, Array.MaxLength);
        var buffer = new byte[known > 0 ? Math.Min(known + 1, cap) : Math.Min(ReadChunkBytes, cap)];
        int total = 0;
        while (true)
        {
            if (total == buffer.Length)
            {
                if (total >= cap) throw TooLarge(source, $"holds more than {maxBytes} bytes", maxBytes);
                Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, cap));
            }
            int read = stream.Read(buffer, total, buffer.Length - total);
            if (read == 0) break;
            total += read;
        }
        if (total > maxBytes) throw TooLarge(source, $"holds more than {maxBytes} bytes", maxBytes);
        return (buffer, total);
    }

    private static InvalidDataException TooLarge(string source, string size, long maxBytes) =>
        new($"Image file '{source}' {size}, more than the limit of {maxBytes} bytes for an image " +
            $"(environment variable {ImageLimits.MaxFileBytesVariable} raises it).");
}
