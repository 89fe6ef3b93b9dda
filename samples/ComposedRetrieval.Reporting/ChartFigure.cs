namespace MLNet.ComposedRetrieval.Reporting;

/// <summary>A titled row of <see cref="ChartPanel"/>s with one legend below them; drawn by <see cref="ChartRenderer"/>.</summary>
/// <param name="Title">Shown at the top.</param>
/// <param name="Panels">Side by side, left to right.</param>
public sealed record ChartFigure(string Title, IReadOnlyList<ChartPanel> Panels)
{
    /// <summary>A line of small print under the legend (how to read the lines and bands).</summary>
    public string? Note { get; init; }
}
