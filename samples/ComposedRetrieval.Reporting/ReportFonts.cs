using SkiaSharp;

namespace MLNet.ComposedRetrieval.Reporting;

/// <summary>
/// The typefaces charts and grids draw text with: the first common sans-serif family installed, else Skia's default.
/// Skia's default alone is not enough: without fontconfig (the NoDependencies native build) it is simply the first
/// font file found under /usr/share/fonts, which may be a maths or symbol font.
/// </summary>
public static class ReportFonts
{
    private static readonly string[] SansSerifFamilies =
        ["DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial", "Helvetica", "Segoe UI", "FreeSans", "Roboto"];

    public static SKTypeface Regular { get; } = Find(SKFontStyle.Normal);

    public static SKTypeface Bold { get; } = Find(SKFontStyle.Bold);

    /// <summary>An anti-aliased text paint; the caller disposes it.</summary>
    public static SKPaint Text(float size, SKColor color, bool bold = false, SKTextAlign align = SKTextAlign.Left) => new()
    {
        Typeface = bold ? Bold : Regular,
        TextSize = size,
        Color = color,
        IsAntialias = true,
        TextAlign = align,
    };

    private static SKTypeface Find(SKFontStyle style)
    {
        foreach (var family in SansSerifFamilies)
        {
            // An absent family silently falls back to the default typeface, so check the name that came back.
            var typeface = SKTypeface.FromFamilyName(family, style);
            if (typeface is not null && string.Equals(typeface.FamilyName, family, StringComparison.OrdinalIgnoreCase))
                return typeface;
        }
        return SKTypeface.FromFamilyName(null, style) ?? SKTypeface.Default;
    }
}
