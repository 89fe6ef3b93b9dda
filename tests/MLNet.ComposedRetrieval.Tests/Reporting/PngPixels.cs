using SkiaSharp;

namespace MLNet.ComposedRetrieval.Tests.Reporting;

/// <summary>Decodes PNG files back with SkiaSharp and counts pixels, to check what a rendering drew.</summary>
internal static class PngPixels
{
    public static SKBitmap Decode(string path)
    {
        var bitmap = SKBitmap.Decode(path);
        Assert.True(bitmap is not null, $"'{path}' is not a PNG SkiaSharp can decode.");
        return bitmap!;
    }

    public static int Count(SKBitmap bitmap, Func<SKColor, bool> predicate, SKRectI? region = null)
    {
        var area = region ?? new SKRectI(0, 0, bitmap.Width, bitmap.Height);
        int count = 0;
        for (int y = area.Top; y < area.Bottom; y++)
            for (int x = area.Left; x < area.Right; x++)
                if (predicate(bitmap.GetPixel(x, y))) count++;
        return count;
    }

    public static bool Near(SKColor color, SKColor expected, int tolerance = 30) =>
        Math.Abs(color.Red - expected.Red) <= tolerance && Math.Abs(color.Green - expected.Green) <= tolerance &&
        Math.Abs(color.Blue - expected.Blue) <= tolerance;

    public static bool IsWhite(SKColor color) => color is { Red: 255, Green: 255, Blue: 255 };

    public static bool IsDark(SKColor color) => color.Red + color.Green + color.Blue < 300;
}
