using MLNet.ComposedRetrieval.Data;

namespace MLNet.ComposedRetrieval.Tests.Data;

/// <summary>Image size limits: an oversized file or an endless stream fails early with an error naming it.</summary>
public class ImageLimitsTests
{
    [Fact]
    public void AFileOverTheByteLimitFailsNamingItWithoutBeingRead()
    {
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.FullPath, "huge.jpg");
        // A sparse file just over the built-in limit: no data is written, and none may be read.
        using (var file = new FileStream(path, FileMode.CreateNew)) file.SetLength(ImageLimits.Builtin.MaxFileBytes + 1);

        var error = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode(path, ImageLimits.Builtin));

        Assert.Contains(path, error.Message);
        Assert.Contains($"is {ImageLimits.Builtin.MaxFileBytes + 1} bytes", error.Message);
        Assert.Contains(ImageLimits.MaxFileBytesVariable, error.Message);
    }

    [Fact]
    public void AStreamWithoutEndIsReadOnlyUpToTheLimit()
    {
        var limits = new ImageLimits(MaxFileBytes: 100_000, MaxPixels: 1_000_000);
        using var endless = new EndlessStream();

        var error = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode(endless, "camera feed", limits));

        Assert.Contains("'camera feed' holds more than 100000 bytes", error.Message);
        Assert.InRange(endless.BytesRead, 100_001, 2 * 100_001);
    }

    [SkippableFact]
    public void DevZeroFailsAtTheLimit()
    {
        Skip.IfNot(File.Exists("/dev/zero"), "no /dev/zero on this host");
        var error = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode("/dev/zero", new ImageLimits(1 << 20, 1 << 20)));
        Assert.Contains("'/dev/zero' holds more than 1048576 bytes", error.Message);
    }

    [Fact]
    public void AnImageOverThePixelLimitFailsNamingItsSize()
    {
        using var bitmap = SkiaPixels.ToBitmap(ImageDecodingTests.Gradient(7, 5));
        using var png = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);

        var error = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode(png.AsSpan(), "wide.png", new ImageLimits(1 << 20, 34)));

        Assert.Contains("'wide.png' is 7 x 5 = 35 pixels, more than the limit of 34", error.Message);
        Assert.Contains(ImageLimits.MaxPixelsVariable, error.Message);
        Assert.Equal(7, ImageDecoder.Decode(png.AsSpan(), "wide.png", new ImageLimits(1 << 20, 35)).Width);
    }

    [Fact]
    public void EnvironmentVariablesOverrideTheBuiltInLimits()
    {
        var set = new Dictionary<string, string?> { [ImageLimits.MaxFileBytesVariable] = "5000", [ImageLimits.MaxPixelsVariable] = " 640000 " };
        Assert.Equal(new ImageLimits(5000, 640_000), ImageLimits.Read(name => set.GetValueOrDefault(name)));
        Assert.Equal(ImageLimits.Builtin, ImageLimits.Read(_ => null));

        set[ImageLimits.MaxPixelsVariable] = "-3";
        var error = Assert.Throws<InvalidOperationException>(() => ImageLimits.Read(name => set.GetValueOrDefault(name)));
        Assert.Contains($"{ImageLimits.MaxPixelsVariable} is '-3'", error.Message);
    }

    /// <summary>Zeros forever, without a length: what a device or a pipe looks like.</summary>
    private sealed class EndlessStream : Stream
    {
        public long BytesRead { get; private set; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            Array.Clear(buffer, offset, count);
            BytesRead += count;
            return count;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
