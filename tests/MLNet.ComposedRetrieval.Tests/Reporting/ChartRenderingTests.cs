using MLNet.ComposedRetrieval.Reporting;
using MLNet.ComposedRetrieval.Tests.Data;
using SkiaSharp;

namespace MLNet.ComposedRetrieval.Tests.Reporting;

public class ChartRenderingTests
{
    [Fact]
    public void WritesTheThreeChartsAsPngsOfTheExpectedSize()
    {
        using var folder = new TemporaryFolder();

        var written = ExperimentCharts.WriteAll(ReportFixtures.Example(), folder.FullPath);

        Assert.Equal(["loss.png", "val-recall.png", "uncertainty.png"], written.Select(Path.GetFileName));
        // Width: margins 2 x 16, panels of 520, gaps of 20. Height: at least title, panel and one legend row.
        foreach (var (name, panels) in new[] { ("loss.png", 2), ("val-recall.png", 2), ("uncertainty.png", 3) })
        {
            using var bitmap = PngPixels.Decode(Path.Combine(folder.FullPath, name));
            Assert.Equal(32 + panels * 520 + (panels - 1) * 20, bitmap.Width);
            Assert.InRange(bitmap.Height, 16 + 40 + 380 + 8 + 24, 600);
            int drawn = PngPixels.Count(bitmap, c => !PngPixels.IsWhite(c));
            Assert.InRange(drawn, bitmap.Width * bitmap.Height / 50, bitmap.Width * bitmap.Height / 2);
        }
    }

    [Fact]
    public void DrawsEachMethodInItsColourAndTheTitleAsText()
    {
        var report = ReportFixtures.Example();
        using var bitmap = ChartRenderer.Render(ExperimentCharts.ValidationRecall(report));
        var methods = report.Methods;

        foreach (var method in methods)
        {
            var color = MethodColors.For(method, methods);
            Assert.True(PngPixels.Count(bitmap, c => PngPixels.Near(c, color, 20)) > 300, $"no line in the colour of '{method}'");
        }
        // The title band holds dark glyph pixels: the font draws.
        var titleBand = new SKRectI(0, 0, bitmap.Width, 50);
        Assert.True(PngPixels.Count(bitmap, PngPixels.IsDark, titleBand) > 200);
    }

    [Fact]
    public void RendersAtAScale()
    {
        var figure = ExperimentCharts.Loss(ReportFixtures.Example());
        using var single = ChartRenderer.Render(figure);
        using var doubled = ChartRenderer.Render(figure, scale: 2);

        Assert.Equal((single.Width * 2, single.Height * 2), (doubled.Width, doubled.Height));
    }

    [Fact]
    public void AveragesSeedsPerEpochWithAMinMaxBand()
    {
        var report = ReportFixtures.Example(epochs: 3);
        var runs = report.Runs.Where(r => r.Method == MethodNames.Baseline).ToList();

        var series = ExperimentCharts.Loss(report).Panels[0].Series.Single(s => s.Label == MethodNames.Baseline);

        Assert.Equal([1.0, 2.0, 3.0], series.X);
        for (int e = 0; e < 3; e++)
        {
            double a = runs[0].History[e].Loss, b = runs[1].History[e].Loss;
            Assert.Equal((a + b) / 2, series.Y[e], 1e-12);
            Assert.Equal((Math.Min(a, b), Math.Max(a, b)), series.Band![e]);
        }
    }

    [Fact]
    public void ShowsUntrainedRunsAsReferenceLinesAndUncertaintyOnlyWhereRecorded()
    {
        var report = ReportFixtures.Example();

        var recall = ExperimentCharts.ValidationRecall(report);
        var uncertainty = ExperimentCharts.Uncertainty(report)!;

        Assert.Equal(["Recall@10", "Recall@50"], recall.Panels.Select(p => p.Title));
        Assert.Equal([11.25, 30.0], recall.Panels.Select(p => Assert.Single(p.ReferenceLines).Y));
        Assert.All(recall.Panels, p => Assert.Equal([MethodNames.Baseline, MethodNames.Uncertainty], p.Series.Select(s => s.Label)));
        Assert.All(uncertainty.Panels, p => Assert.Equal(MethodNames.Uncertainty, Assert.Single(p.Series).Label));

        report.Runs.RemoveAll(r => r.Method == MethodNames.Uncertainty);
        Assert.Null(ExperimentCharts.Uncertainty(report));
        using var folder = new TemporaryFolder();
        Assert.Equal(2, ExperimentCharts.WriteAll(report, folder.FullPath).Count);
    }

    [Fact]
    public void SkipsNonFiniteValuesOfADivergedEpoch()
    {
        var report = new ExperimentReport();
        var run = ReportFixtures.Trained(MethodNames.Baseline, 1, 4, 10, 20, uncertainty: false);
        var history = run.History.ToList();
        history[2] = history[2] with { Loss = double.NaN };
        report.Runs.Add(run with { History = history });

        var figure = ExperimentCharts.Loss(report);
        using var bitmap = ChartRenderer.Render(figure);

        Assert.Equal([1.0, 2.0, 4.0], figure.Panels[0].Series[0].X);
        Assert.True(PngPixels.Count(bitmap, c => !PngPixels.IsWhite(c)) > 1000);
    }

    [Fact]
    public void DrawsASingleEpochRunAndAnEmptyPanel()
    {
        var report = ReportFixtures.Example(epochs: 1);
        using var single = ChartRenderer.Render(ExperimentCharts.ValidationRecall(report));
        using var empty = ChartRenderer.Render(new ChartFigure("Nothing", [new ChartPanel("empty", "x", "y", [])]));

        Assert.True(PngPixels.Count(single, c => PngPixels.Near(c, MethodColors.For(MethodNames.Baseline, report.Methods), 20)) > 20);
        Assert.Equal(32 + 520, empty.Width);
    }

    [Fact]
    public void RejectsASeriesWhoseLengthsDisagree()
    {
        var figure = new ChartFigure("t", [new ChartPanel("p", "x", "y", [new ChartSeries("bad", SKColors.Red, [1, 2], [1])])]);

        Assert.Contains("Series 'bad' has 2 x values but 1 y values", Assert.Throws<ArgumentException>(() => ChartRenderer.Render(figure)).Message);
    }

    [Fact]
    public void FindsASansSerifFontThatDrawsText()
    {
        using var paint = ReportFonts.Text(20, SKColors.Black);
        using var bitmap = new SKBitmap(200, 40);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            canvas.DrawText("Recall@10", 5, 30, paint);
        }

        Assert.True(ReportFonts.Regular.GlyphCount > 0, $"typeface '{ReportFonts.Regular.FamilyName}' has no glyphs");
        Assert.DoesNotContain("Math", ReportFonts.Regular.FamilyName);
        Assert.True(paint.MeasureText("Recall@10") > 50);
        Assert.True(PngPixels.Count(bitmap, PngPixels.IsDark) > 100);
    }
}
