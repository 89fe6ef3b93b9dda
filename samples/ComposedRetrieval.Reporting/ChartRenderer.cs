using SkiaSharp;

namespace MLNet.ComposedRetrieval.Reporting;

/// <summary>
/// Draws a <see cref="ChartFigure"/> with SkiaSharp: a title, the panels side by side (grid lines, ticks, axis labels,
/// bands under lines, dots at points), then one legend for all panels and the note.
/// </summary>
public static class ChartRenderer
{
    private const float Margin = 16, PanelGap = 20, TitleHeight = 40, LegendRowHeight = 24, NoteLineHeight = 18;
    private const float PlotLeft = 72, PlotRight = 18, PlotTop = 34, PlotBottom = 54;
    private static readonly SKColor Ink = SKColor.Parse("#222222"), Muted = SKColor.Parse("#666666"),
        GridLine = SKColor.Parse("#e5e5e5"), Axis = SKColor.Parse("#888888");

    /// <summary>Renders at <paramref name="panelWidth"/> x <paramref name="panelHeight"/> pixels per panel, times <paramref name="scale"/>.</summary>
    public static SKBitmap Render(ChartFigure figure, int panelWidth = 520, int panelHeight = 380, float scale = 1)
    {
        ArgumentNullException.ThrowIfNull(figure);
        if (figure.Panels.Count == 0) throw new ArgumentException($"Chart '{figure.Title}' has no panels.", nameof(figure));
        foreach (var series in figure.Panels.SelectMany(p => p.Series)) series.Validate();

        float width = 2 * Margin + figure.Panels.Count * panelWidth + (figure.Panels.Count - 1) * PanelGap;
        using var legendPaint = ReportFonts.Text(13, Ink);
        using var notePaint = ReportFonts.Text(12, Muted);
        var legend = LegendEntries(figure);
        var legendRows = LayoutLegend(legend, legendPaint, width - 2 * Margin);
        var noteLines = figure.Note is null ? [] : TextWrapping.Wrap(figure.Note, width - 2 * Margin, notePaint.MeasureText);
        float height = Margin + TitleHeight + panelHeight + 8 + legendRows.Count * LegendRowHeight + noteLines.Count * NoteLineHeight + Margin;

        var bitmap = new SKBitmap((int)Math.Ceiling(width * scale), (int)Math.Ceiling(height * scale), SKColorType.Rgba8888, SKAlphaType.Premul);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        canvas.Scale(scale);

        using (var titlePaint = ReportFonts.Text(19, Ink, bold: true, SKTextAlign.Center))
            canvas.DrawText(figure.Title, width / 2, Margin + 22, titlePaint);
        for (int i = 0; i < figure.Panels.Count; i++)
        {
            var bounds = SKRect.Create(Margin + i * (panelWidth + PanelGap), Margin + TitleHeight, panelWidth, panelHeight);
            DrawPanel(canvas, figure.Panels[i], bounds);
        }

        float y = Margin + TitleHeight + panelHeight + 8;
        foreach (var row in legendRows)
        {
            float rowWidth = row.Sum(e => e.Width), x = (width - rowWidth) / 2;
            foreach (var (entry, entryWidth) in row)
            {
                DrawLegendEntry(canvas, entry, x, y + LegendRowHeight / 2, legendPaint);
                x += entryWidth;
            }
            y += LegendRowHeight;
        }
        foreach (var line in noteLines)
        {
            canvas.DrawText(line, Margin, y + 13, notePaint);
            y += NoteLineHeight;
        }
        return bitmap;
    }

    /// <summary>Renders and writes a PNG file.</summary>
    public static void SavePng(ChartFigure figure, string path, float scale = 1, int panelWidth = 520)
    {
        using var bitmap = Render(figure, panelWidth, scale: scale);
        PngFile.Save(bitmap, path);
    }

    private static void DrawPanel(SKCanvas canvas, ChartPanel panel, SKRect bounds)
    {
        var points = panel.Series.SelectMany(s => s.X.Zip(s.Y)).Where(p => double.IsFinite(p.First) && double.IsFinite(p.Second)).ToList();
        var bandValues = panel.Series.Where(s => s.Band is not null).SelectMany(s => s.Band!.SelectMany(b => new[] { b.Lower, b.Upper })).Where(double.IsFinite);
        var references = panel.ReferenceLines.Where(r => double.IsFinite(r.Y)).ToList();
        var yValues = points.Select(p => p.Second).Concat(bandValues).Concat(references.Select(r => r.Y)).ToList();
        using var tickPaint = ReportFonts.Text(12, Muted, align: SKTextAlign.Right);
        AxisTicks? yTicks = null;
        if (yValues.Count > 0)
        {
            double yMin = yValues.Min(), yMax = yValues.Max(), yPad = (yMax - yMin) * 0.05;
            yTicks = AxisTicks.For(yMin - yPad, yMax + yPad, targetCount: 5);
        }
        // The plot starts right of the widest tick label, which depends on the data (1.0312 vs 30).
        float tickWidth = yTicks?.Values.Max(t => tickPaint.MeasureText(yTicks.Format(t))) ?? 0;
        var plot = new SKRect(bounds.Left + Math.Max(PlotLeft, 36 + tickWidth), bounds.Top + PlotTop,
            bounds.Right - PlotRight, bounds.Bottom - PlotBottom);
        using (var titlePaint = ReportFonts.Text(15, Ink, bold: true, SKTextAlign.Center))
            canvas.DrawText(panel.Title, plot.MidX, bounds.Top + 18, titlePaint);
        if (yTicks is null || points.Count == 0)
        {
            using var emptyPaint = ReportFonts.Text(13, Muted, align: SKTextAlign.Center);
            canvas.DrawText("no data", plot.MidX, plot.MidY, emptyPaint);
            return;
        }

        var categories = panel.XCategories;
        var xTicks = AxisTicks.For(points.Min(p => p.First), points.Max(p => p.First), targetCount: 12, integers: panel.IntegerX);
        double xLow = categories is null ? points.Min(p => p.First) : 0, xHigh = categories is null ? points.Max(p => p.First) : categories.Count - 1;
        // Data-tight x range (epochs 1..E) with a little air; a single epoch gets a unit-wide axis. Categories get half
        // a slot of air on each side.
        double xPad = categories is not null ? 0.5 : xHigh > xLow ? (xHigh - xLow) * 0.04 : 0.5;
        (xLow, xHigh) = (xLow - xPad, xHigh + xPad);
        float X(double x) => plot.Left + (float)((x - xLow) / (xHigh - xLow)) * plot.Width;
        float Y(double y) => plot.Bottom - (float)((y - yTicks.Min) / (yTicks.Max - yTicks.Min)) * plot.Height;

        using var gridPaint = new SKPaint { Color = GridLine, StrokeWidth = 1, IsAntialias = true, Style = SKPaintStyle.Stroke };
        using var axisPaint = new SKPaint { Color = Axis, StrokeWidth = 1.2f, IsAntialias = true, Style = SKPaintStyle.Stroke };
        using var xTickPaint = ReportFonts.Text(12, Muted, align: SKTextAlign.Center);
        foreach (var tick in yTicks.Values)
        {
            canvas.DrawLine(plot.Left, Y(tick), plot.Right, Y(tick), gridPaint);
            canvas.DrawLine(plot.Left - 4, Y(tick), plot.Left, Y(tick), axisPaint);
            canvas.DrawText(yTicks.Format(tick), plot.Left - 7, Y(tick) + 4, tickPaint);
        }
        var xLabels = categories is not null
            ? categories.Select((name, i) => ((double)i, name)).ToList()
            : xTicks.Values.Where(t => t >= xLow - 1e-9 && t <= xHigh + 1e-9).Select(t => (t, xTicks.Format(t))).ToList();
        foreach (var (tick, label) in xLabels)
        {
            canvas.DrawLine(X(tick), plot.Top, X(tick), plot.Bottom, gridPaint);
            canvas.DrawLine(X(tick), plot.Bottom, X(tick), plot.Bottom + 4, axisPaint);
            canvas.DrawText(label, X(tick), plot.Bottom + 18, xTickPaint);
        }
        canvas.DrawLine(plot.Left, plot.Top, plot.Left, plot.Bottom, axisPaint);
        canvas.DrawLine(plot.Left, plot.Bottom, plot.Right, plot.Bottom, axisPaint);

        using (var labelPaint = ReportFonts.Text(13, Ink, align: SKTextAlign.Center))
        {
            canvas.DrawText(panel.XLabel, plot.MidX, plot.Bottom + 40, labelPaint);
            canvas.Save();
            canvas.RotateDegrees(-90, bounds.Left + 16, plot.MidY);
            canvas.DrawText(panel.YLabel, bounds.Left + 16, plot.MidY, labelPaint);
            canvas.Restore();
        }

        canvas.Save();
        canvas.ClipRect(SKRect.Inflate(plot, 6, 6));
        foreach (var line in references)
        {
            using var dashed = LinePaint(ReferenceSeries(line));
            canvas.DrawLine(plot.Left, Y(line.Y), plot.Right, Y(line.Y), dashed);
        }
        foreach (var series in panel.Series.Where(s => s.Band is not null)) DrawBand(canvas, series, X, Y);
        foreach (var series in panel.Series) DrawLine(canvas, series, X, Y);
        canvas.Restore();
    }

    private static void DrawBand(SKCanvas canvas, ChartSeries series, Func<double, float> x, Func<double, float> y)
    {
        var band = series.X.Zip(series.Band!).Where(p => double.IsFinite(p.First) && double.IsFinite(p.Second.Lower) && double.IsFinite(p.Second.Upper)).ToList();
        if (band.Count == 1 || series.BandAsBars)
        {
            // One epoch, or categories: the band is a vertical bar at each point.
            using var bar = new SKPaint { Color = series.Color.WithAlpha(90), StrokeWidth = 8, Style = SKPaintStyle.Stroke, IsAntialias = true };
            foreach (var (px, (lower, upper)) in band) canvas.DrawLine(x(px), y(lower), x(px), y(upper), bar);
            return;
        }
        if (band.Count == 0) return;
        using var path = new SKPath();
        path.MoveTo(x(band[0].First), y(band[0].Second.Upper));
        foreach (var (px, (_, upper)) in band.Skip(1)) path.LineTo(x(px), y(upper));
        for (int i = band.Count - 1; i >= 0; i--) path.LineTo(x(band[i].First), y(band[i].Second.Lower));
        path.Close();
        using var fill = new SKPaint { Color = series.Color.WithAlpha(48), Style = SKPaintStyle.Fill, IsAntialias = true };
        canvas.DrawPath(path, fill);
    }

    private static void DrawLine(SKCanvas canvas, ChartSeries series, Func<double, float> x, Func<double, float> y)
    {
        using var stroke = LinePaint(series);
        using var path = new SKPath();
        bool drawing = false;
        for (int i = 0; i < series.X.Count; i++)
        {
            // A non-finite value (a diverged epoch) breaks the line instead of dragging it off the chart.
            if (!double.IsFinite(series.X[i]) || !double.IsFinite(series.Y[i])) { drawing = false; continue; }
            if (drawing) path.LineTo(x(series.X[i]), y(series.Y[i]));
            else path.MoveTo(x(series.X[i]), y(series.Y[i]));
            drawing = true;
        }
        canvas.DrawPath(path, stroke);
        if (!series.Markers) return;
        using var dot = new SKPaint { Color = series.Color, Style = SKPaintStyle.Fill, IsAntialias = true };
        for (int i = 0; i < series.X.Count; i++)
            if (double.IsFinite(series.X[i]) && double.IsFinite(series.Y[i]))
                canvas.DrawCircle(x(series.X[i]), y(series.Y[i]), series.LineWidth + 1, dot);
    }

    private static SKPaint LinePaint(ChartSeries series) => new()
    {
        Color = series.Color,
        StrokeWidth = series.LineWidth,
        Style = SKPaintStyle.Stroke,
        IsAntialias = true,
        StrokeJoin = SKStrokeJoin.Round,
        StrokeCap = SKStrokeCap.Round,
        PathEffect = series.Dashed ? SKPathEffect.CreateDash([9, 6], 0) : null,
    };

    private static ChartSeries ReferenceSeries(ChartReferenceLine line) =>
        new(line.Label, line.Color, [], []) { Dashed = true, Markers = false, LineWidth = 2 };

    private static List<ChartSeries> LegendEntries(ChartFigure figure) =>
        figure.Panels.SelectMany(p => p.Series.Concat(p.ReferenceLines.Select(ReferenceSeries)))
            .GroupBy(s => s.Label).Select(g => g.First()).ToList();

    private static List<List<(ChartSeries Entry, float Width)>> LayoutLegend(List<ChartSeries> entries, SKPaint paint, float maxWidth)
    {
        var rows = new List<List<(ChartSeries, float)>>();
        var row = new List<(ChartSeries, float)>();
        float used = 0;
        foreach (var entry in entries)
        {
            float entryWidth = 36 + paint.MeasureText(entry.Label) + 24;
            if (row.Count > 0 && used + entryWidth > maxWidth)
            {
                rows.Add(row);
                (row, used) = ([], 0);
            }
            row.Add((entry, entryWidth));
            used += entryWidth;
        }
        if (row.Count > 0) rows.Add(row);
        return rows;
    }

    private static void DrawLegendEntry(SKCanvas canvas, ChartSeries entry, float x, float middle, SKPaint textPaint)
    {
        using var stroke = LinePaint(entry);
        canvas.DrawLine(x, middle, x + 28, middle, stroke);
        if (entry.Markers)
        {
            using var dot = new SKPaint { Color = entry.Color, Style = SKPaintStyle.Fill, IsAntialias = true };
            canvas.DrawCircle(x + 14, middle, entry.LineWidth + 1, dot);
        }
        canvas.DrawText(entry.Label, x + 36, middle + 4.5f, textPaint);
    }
}
