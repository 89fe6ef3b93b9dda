namespace MLNet.ComposedRetrieval.Reporting;

/// <summary>"Nice" axis ticks: steps of 1, 2, 2.5 or 5 times a power of ten, and labels with just enough decimals.</summary>
/// <param name="Min">The axis start (a multiple of <paramref name="Step"/>).</param>
/// <param name="Max">The axis end (a multiple of <paramref name="Step"/>).</param>
/// <param name="Step">The distance between ticks.</param>
public sealed record AxisTicks(double Min, double Max, double Step)
{
    /// <summary>Ticks covering [<paramref name="low"/>, <paramref name="high"/>] with about <paramref name="targetCount"/> intervals.</summary>
    public static AxisTicks For(double low, double high, int targetCount = 5, bool integers = false)
    {
        if (!double.IsFinite(low) || !double.IsFinite(high) || high < low)
            throw new ArgumentException($"Cannot make axis ticks for the range [{low}, {high}].");
        if (high - low < 1e-12 * Math.Max(1, Math.Abs(high)))
        {
            // A constant series still needs an axis: widen it around the value.
            double pad = integers ? 1 : Math.Max(Math.Abs(low) * 0.01, 1e-6);
            (low, high) = (low - pad, high + pad);
        }
        double step = NiceStep(low, high, targetCount, integers);
        double min = Math.Floor(low / step + 1e-9) * step, max = Math.Ceiling(high / step - 1e-9) * step;
        return new AxisTicks(min, max, step);
    }

    /// <summary>The tick values from <see cref="Min"/> to <see cref="Max"/>.</summary>
    public IReadOnlyList<double> Values
    {
        get
        {
            int count = (int)Math.Round((Max - Min) / Step);
            return Enumerable.Range(0, count + 1).Select(i => Min + i * Step).ToList();
        }
    }

    /// <summary>A tick label with as many decimals as the step needs (0.25 -> 2, 5 -> 0), invariant culture.</summary>
    public string Format(double value)
    {
        int decimals = 0;
        while (decimals < 10 && Math.Abs(Step * Math.Pow(10, decimals) - Math.Round(Step * Math.Pow(10, decimals))) > 1e-6) decimals++;
        if (Math.Abs(value) < Step * 1e-9) value = 0; // no "-0.00"
        return value.ToString("F" + decimals, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The 1-2-2.5-5 step whose axis has the interval count closest to the target (the finer on a tie).</summary>
    private static double NiceStep(double low, double high, int targetCount, bool integers)
    {
        double power = Math.Pow(10, Math.Floor(Math.Log10((high - low) / targetCount)));
        var candidates = new[] { 0.1, 1, 10 }.SelectMany(scale => new[] { 1, 2, 2.5, 5 }.Select(m => m * scale * power))
            .Where(step => !integers || (step >= 1 && Math.Abs(step - Math.Round(step)) < 1e-9))
            .DefaultIfEmpty(1);
        return candidates
            .OrderBy(step => Math.Abs(Math.Ceiling(high / step - 1e-9) - Math.Floor(low / step + 1e-9) - targetCount))
            .ThenBy(step => step)
            .First();
    }
}
