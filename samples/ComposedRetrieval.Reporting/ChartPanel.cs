namespace MLNet.ComposedRetrieval.Reporting;

/// <summary>One plot of a <see cref="ChartFigure"/>: axes with ticks and labels, and its series.</summary>
/// <param name="Title">Shown above the plot.</param>
/// <param name="XLabel">Shown under the x axis.</param>
/// <param name="YLabel">Shown beside the y axis.</param>
/// <param name="Series">The lines, drawn in order (later ones on top).</param>
public sealed record ChartPanel(string Title, string XLabel, string YLabel, IReadOnlyList<ChartSeries> Series)
{
    /// <summary>Only whole numbers on the x axis (epochs).</summary>
    public bool IntegerX { get; init; }

    /// <summary>Named categories instead of a numeric x axis: category i sits at x = i, labelled with its name
    /// (settings of an ablation); null for a numeric axis.</summary>
    public IReadOnlyList<string>? XCategories { get; init; }

    /// <summary>Dashed horizontal lines across the plot, drawn under the series.</summary>
    public IReadOnlyList<ChartReferenceLine> ReferenceLines { get; init; } = [];
}
