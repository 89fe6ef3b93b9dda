using SkiaSharp;

namespace MLNet.ComposedRetrieval.Reporting;

/// <summary>
/// The experiment's charts, built from the trained runs' epoch histories: one line per method (the mean over its
/// seeds, with the min-max band over seeds when there are several), one colour per method, epochs from 1.
/// </summary>
public static class ExperimentCharts
{
    private const string EpochLabel = "epoch";
    private const string SeedNote = "Lines: mean over a method's seeds; shaded: min to max over seeds. Epochs counted from 1.";

    /// <summary>(a) Training loss per epoch: the total loss, and its clean InfoNCE(f_s, f_t) term.</summary>
    public static ChartFigure Loss(ExperimentReport report) => new(
        "Training loss per epoch",
        [
            Panel(report, "Total loss", "loss", r => r.Loss),
            Panel(report, "Clean term InfoNCE(f_s, f_t)", "loss", r => r.InfoNceLoss),
        ])
    { Note = SeedNote + " The baseline's total loss is its InfoNCE term." };

    /// <summary>
    /// (b) Validation Recall@K per epoch, one panel per K (default 10 and 50); untrained runs (zero-shot) as a
    /// dashed horizontal line at their Recall@K.
    /// </summary>
    public static ChartFigure ValidationRecall(ExperimentReport report, IReadOnlyList<int>? ks = null) => new(
        "Validation recall per epoch",
        (ks ?? [10, 50]).Select(k => Panel(report, $"Recall@{k}", $"R@{k} (%)", r => r.ValidationRecall.TryGetValue(k, out var v) ? 100 * v : null,
            untrainedValue: run => run.RecallAt(k))).ToList())
    { Note = SeedNote + " Dashed: untrained reference at its final recall." };

    /// <summary>
    /// (c) The uncertainty runs' scalar s (std of the augmented targets, docs/method.md), the weight gamma of L_u, and L_u
    /// itself, per epoch; null when no run recorded s (only baselines).
    /// </summary>
    public static ChartFigure? Uncertainty(ExperimentReport report)
    {
        if (!report.Runs.Any(r => r.History.Any(e => e.Sigma is not null))) return null;
        bool HasSigma(MethodRun run) => run.History.Any(e => e.Sigma is not null);
        return new ChartFigure(
            "Uncertainty regularisation per epoch",
            [
                Panel(report, "s = std of augmented targets", "s", r => r.Sigma, HasSigma),
                Panel(report, "gamma (weight of L_u)", "gamma", r => r.Gamma, HasSigma),
                Panel(report, "Uncertainty term L_u", "L_u", r => r.UncertaintyLoss, HasSigma),
            ])
        { Note = SeedNote };
    }

    /// <summary>Writes loss.png, val-recall.png and (when there are uncertainty runs) uncertainty.png; returns their paths.</summary>
    public static IReadOnlyList<string> WriteAll(ExperimentReport report, string folder, float scale = 1)
    {
        var written = new List<string>();
        void Write(ChartFigure? figure, string name)
        {
            if (figure is null) return;
            var path = Path.Combine(folder, name);
            ChartRenderer.SavePng(figure, path, scale);
            written.Add(path);
        }
        Write(Loss(report), "loss.png");
        Write(ValidationRecall(report), "val-recall.png");
        Write(Uncertainty(report), "uncertainty.png");
        return written;
    }

    private static ChartPanel Panel(ExperimentReport report, string title, string yLabel, Func<EpochRecord, double?> value,
        Func<MethodRun, bool>? include = null, Func<MethodRun, double?>? untrainedValue = null)
    {
        var methods = report.Methods;
        var series = new List<ChartSeries>();
        var trained = report.Runs.Where(r => r.History.Count > 0 && (include?.Invoke(r) ?? true)).ToList();
        foreach (var group in trained.GroupBy(r => r.Method))
            if (MeanOverSeeds(group.Key, MethodColors.For(group.Key, methods), group.ToList(), value) is { } line)
                series.Add(line);

        var references = new List<ChartReferenceLine>();
        if (untrainedValue is not null && trained.Count > 0)
        {
            foreach (var group in report.Runs.Where(r => r.History.Count == 0).GroupBy(r => r.Method))
            {
                var values = group.Select(untrainedValue).Where(v => v is not null).Select(v => v!.Value).ToList();
                if (values.Count > 0) references.Add(new ChartReferenceLine(group.Key, MethodColors.For(group.Key, methods), values.Average()));
            }
        }
        return new ChartPanel(title, EpochLabel, yLabel, series) { IntegerX = true, ReferenceLines = references };
    }

    /// <summary>The mean per epoch over the runs that have the value at that epoch, with their min-max band.</summary>
    private static ChartSeries? MeanOverSeeds(string method, SKColor color, IReadOnlyList<MethodRun> runs, Func<EpochRecord, double?> value)
    {
        int epochs = runs.Max(r => r.History.Count);
        var x = new List<double>();
        var y = new List<double>();
        var band = new List<(double, double)>();
        for (int e = 0; e < epochs; e++)
        {
            var values = runs.Where(r => e < r.History.Count).Select(r => value(r.History[e]))
                .Where(v => v is not null && double.IsFinite(v.Value)).Select(v => v!.Value).ToList();
            if (values.Count == 0) continue;
            x.Add(e + 1);
            y.Add(values.Average());
            band.Add((values.Min(), values.Max()));
        }
        if (x.Count == 0) return null;
        return new ChartSeries(method, color, x, y) { Band = runs.Count > 1 ? band : null };
    }
}
