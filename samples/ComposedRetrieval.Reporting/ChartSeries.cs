using SkiaSharp;

namespace MLNet.ComposedRetrieval.Reporting;

/// <summary>One line of a <see cref="ChartPanel"/>: points joined in order, optionally a shaded band around them.</summary>
/// <param name="Label">The legend text; series with equal labels share one legend entry.</param>
/// <param name="Color">Line, marker and band colour.</param>
/// <param name="X">The x values.</param>
/// <param name="Y">The y values, aligned with <paramref name="X"/>.</param>
public sealed record ChartSeries(string Label, SKColor Color, IReadOnlyList<double> X, IReadOnlyList<double> Y)
{
    /// <summary>Lower and upper edges of a band (e.g. min and max over seeds), aligned with the points; null for none.</summary>
    public IReadOnlyList<(double Lower, double Upper)>? Band { get; init; }

    /// <summary>Draws the band as a vertical bar at each point instead of a shaded ribbon between points (for
    /// categories, where the space between two points means nothing).</summary>
    public bool BandAsBars { get; init; }

    public bool Dashed { get; init; }

    public float LineWidth { get; init; } = 2.5f;

    /// <summary>Draws a dot at each point (useful with few epochs, essential with one).</summary>
    public bool Markers { get; init; } = true;

    /// <summary>Checks the lengths agree, naming the series.</summary>
    public void Validate()
    {
        if (X.Count != Y.Count)
            throw new ArgumentException($"Series '{Label}' has {X.Count} x values but {Y.Count} y values.");
        if (Band is not null && Band.Count != X.Count)
            throw new ArgumentException($"Series '{Label}' has {X.Count} points but a band of {Band.Count}.");
    }
}
