using Microsoft.ML.Data;
using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Tests.Infrastructure;
using SkiaSharp;

namespace MLNet.ComposedRetrieval.Tests.Data;

public class ImageDecodingTests
{
    [SkippableFact]
    public void DecodesARealCatalogueJpeg()
    {
        var folder = SharedData.Require("datasets/fashion-product-images/images");
        var path = Directory.EnumerateFiles(folder, "*.jpg").Order(StringComparer.Ordinal).First();
        var image = ImageDecoder.Decode(path);
        Assert.Equal((60, 80), (image.Width, image.Height));
        Assert.True(image.Rgb.Distinct().Count() > 50, "a photo has many distinct byte values");
    }

    [Fact]
    public void PngRoundTripKeepsEveryPixelExactly()
    {
        var original = Gradient(7, 5);
        using var bitmap = SkiaPixels.ToBitmap(original);
        using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        var decoded = ImageDecoder.Decode(png.AsSpan(), "gradient.png");
        Assert.Equal((7, 5), (decoded.Width, decoded.Height));
        Assert.Equal(original.Rgb, decoded.Rgb);
    }

    [Fact]
    public void UndecodableBytesAndMissingFilesAreReportedByName()
    {
        var error = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode("no image here"u8, "notes.txt"));
        Assert.Contains("notes.txt", error.Message);
        var missing = Path.Combine(Path.GetTempPath(), "mlnet-cr-absent-image.jpg");
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => ImageDecoder.Decode(missing)).Message);
    }

    [Fact]
    public void APngWithAlphaDecodesToTheSamePixelsAsTheMLImageLoadImagesMakes()
    {
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.FullPath, "translucent.png");
        File.WriteAllBytes(path, TranslucentPng(6, 4));

        var decoded = ImageDecoder.Decode(path);
        using var mlImage = MLImage.CreateFromFile(path); // what LoadImages does
        var viaMLImage = RgbImage.FromMLImage(mlImage);

        Assert.Equal(decoded.Rgb, viaMLImage.Rgb);
        // Composited over white: column 0 is fully transparent, the last column opaque (its colour kept).
        var original = Gradient(6, 4);
        for (int y = 0; y < 4; y++)
        {
            Assert.Equal(new byte[] { 255, 255, 255 }, decoded.Rgb.AsSpan((y * 6) * 3, 3).ToArray());
            Assert.Equal(original.Rgb.AsSpan((y * 6 + 5) * 3, 3).ToArray(), decoded.Rgb.AsSpan((y * 6 + 5) * 3, 3).ToArray());
        }
        // Black with alpha 128 over white: 255 - 128 in every channel.
        Assert.Equal(new byte[] { 127, 127, 127 }, decoded.Rgb.AsSpan(3 * 3, 3).ToArray());
    }

    [Theory]
    [InlineData(MLPixelFormat.Bgra32)]
    [InlineData(MLPixelFormat.Rgba32)]
    public void MLImagePixelsBecomeRgb(MLPixelFormat format)
    {
        // One red and one blue pixel, stored in the format's byte order with alpha last.
        byte[] pixels = format == MLPixelFormat.Bgra32 ? [0, 0, 200, 255, 150, 0, 0, 255] : [200, 0, 0, 255, 0, 0, 150, 255];
        using var mlImage = MLImage.CreateFromPixels(2, 1, format, pixels);
        var image = RgbImage.FromMLImage(mlImage);
        Assert.Equal(new byte[] { 200, 0, 0, 0, 0, 150 }, image.Rgb);
    }

    [Fact]
    public void RgbImageRejectsAWrongByteCount() =>
        Assert.Contains("needs 12 bytes", Assert.Throws<ArgumentException>(() => new RgbImage(2, 2, new byte[11])).Message);

    [Fact]
    public void FlipMirrorsEachRow()
    {
        var image = Gradient(3, 2);
        var flipped = image.FlipHorizontally();
        for (int y = 0; y < 2; y++)
            for (int x = 0; x < 3; x++)
                Assert.Equal(image.Rgb.AsSpan((y * 3 + x) * 3, 3).ToArray(), flipped.Rgb.AsSpan((y * 3 + 2 - x) * 3, 3).ToArray());
    }

    [Fact]
    public void ResizingAUniformImageKeepsItsColour()
    {
        var uniform = new RgbImage(60, 80, Enumerable.Range(0, 60 * 80).SelectMany(_ => new byte[] { 10, 120, 250 }).ToArray());
        var resized = ImageResizing.Resize(uniform, 224, 224);
        Assert.Equal((224, 224), (resized.Width, resized.Height));
        Assert.All(resized.Rgb.Chunk(3), p => Assert.Equal(new byte[] { 10, 120, 250 }, p));
    }

    [Fact]
    public void ResizingARegionTakesOnlyThatRegion()
    {
        // Left half black, right half white: the right half alone resizes to pure white.
        var rgb = new byte[8 * 4 * 3];
        for (int y = 0; y < 4; y++) for (int x = 4; x < 8; x++) rgb.AsSpan((y * 8 + x) * 3, 3).Fill(255);
        var right = ImageResizing.ResizeRegion(new RgbImage(8, 4, rgb), SKRectI.Create(4, 0, 4, 4), 16, 16);
        Assert.All(right.Rgb, b => Assert.Equal(255, b));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageResizing.ResizeRegion(new RgbImage(8, 4, rgb), SKRectI.Create(6, 0, 4, 4), 16, 16));
    }

    /// <summary>A PNG of <see cref="Gradient"/>'s colours with alpha rising left to right, from 0 (column 0) to 255 (the last
    /// column); the pixel at (3, 0) is black with alpha 128.</summary>
    internal static byte[] TranslucentPng(int width, int height)
    {
        var colours = Gradient(width, height);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var rgba = new byte[width * height * 4];
        for (int p = 0; p < width * height; p++)
        {
            colours.Rgb.AsSpan(p * 3, 3).CopyTo(rgba.AsSpan(p * 4));
            rgba[p * 4 + 3] = (byte)(p % width * 255 / (width - 1));
        }
        rgba[3 * 4] = rgba[3 * 4 + 1] = rgba[3 * 4 + 2] = 0;
        rgba[3 * 4 + 3] = 128;
        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    /// <summary>Red rises left to right, green top to bottom; blue varies per pixel.</summary>
    internal static RgbImage Gradient(int width, int height)
    {
        var rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int i = (y * width + x) * 3;
                (rgb[i], rgb[i + 1], rgb[i + 2]) =
                    ((byte)(x * 255 / Math.Max(1, width - 1)), (byte)(y * 255 / Math.Max(1, height - 1)), (byte)((x * 7 + y * 11) % 256));
            }
        return new RgbImage(width, height, rgb);
    }
}
