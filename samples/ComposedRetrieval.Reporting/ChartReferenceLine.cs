using SkiaSharp;

namespace MLNet.ComposedRetrieval.Reporting;

/// <summary>A dashed horizontal line across a whole <see cref="ChartPanel"/> (e.g. an untrained method's recall).</summary>
/// <param name="Label">The legend text.</param>
/// <param name="Color">The line colour.</param>
/// <param name="Y">Where it is drawn.</param>
public sealed record ChartReferenceLine(string Label, SKColor Color, double Y);
