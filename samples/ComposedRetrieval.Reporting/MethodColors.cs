using SkiaSharp;

namespace MLNet.ComposedRetrieval.Reporting;

/// <summary>One colour per method, the same in every chart and grid: fixed for the three standard methods, from a
/// palette (in order of appearance) for variants.</summary>
public static class MethodColors
{
    private static readonly SKColor[] Palette =
    [
        SKColor.Parse("#2ca02c"), SKColor.Parse("#9467bd"), SKColor.Parse("#8c564b"), SKColor.Parse("#e377c2"),
        SKColor.Parse("#17becf"), SKColor.Parse("#bcbd22"), SKColor.Parse("#d62728"),
    ];

    /// <summary>The colour of <paramref name="method"/> among <paramref name="allMethods"/> (which fixes the variants' order).</summary>
    public static SKColor For(string method, IReadOnlyList<string> allMethods) => method switch
    {
        MethodNames.Baseline => SKColor.Parse("#1f77b4"),
        MethodNames.Uncertainty => SKColor.Parse("#ff7f0e"),
        MethodNames.ZeroShot => SKColor.Parse("#7f7f7f"),
        _ => Palette[Math.Max(0, allMethods.Where(IsVariant).ToList().IndexOf(method)) % Palette.Length],
    };

    private static bool IsVariant(string method) =>
        method is not (MethodNames.Baseline or MethodNames.Uncertainty or MethodNames.ZeroShot);
}
