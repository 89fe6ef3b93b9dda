using MLNet.ComposedRetrieval.Reporting;
using MLNet.ComposedRetrieval.Retrieval;
using MLNet.ComposedRetrieval.Tests.Data;
using MLNet.ComposedRetrieval.Tests.Infrastructure;
using SkiaSharp;

namespace MLNet.ComposedRetrieval.Tests.Reporting;

public class QueryGridTests
{
    private static readonly string[] Methods = [MethodNames.Baseline, MethodNames.Uncertainty];
    private static readonly SKColor Green = SKColor.Parse("#2ca02c");

    // Image "iN" is a 60 x 80 block of a colour of its own, far from the frame green and from grey.
    private static SKColor ColorOf(string id)
    {
        int n = int.Parse(id[1..]);
        return new SKColor((byte)(40 + 13 * n % 200), 0, (byte)(250 - 11 * n % 200));
    }

    private static SKBitmap Solid(string id)
    {
        var bitmap = new SKBitmap(60, 80, SKColorType.Rgba8888, SKAlphaType.Premul);
        bitmap.Erase(ColorOf(id));
        return bitmap;
    }

    private static string[] Ids(params int[] numbers) => numbers.Select(n => "i" + n).ToArray();

    private static QueryGridRow Row(string reference, string text, string target, string[] baseline, string[] ours) =>
        new(new GridQuery(reference, text, target),
            new Dictionary<string, IReadOnlyList<string>> { [Methods[0]] = baseline, [Methods[1]] = ours });

    [Fact]
    public void DrawsARowPerQueryAtTheExpectedSizeAsAPng()
    {
        QueryGridRow[] rows =
        [
            Row("i0", "replace black with pink", "i1", Ids(2, 3, 4, 5, 6, 7), Ids(8, 9, 10, 11, 12)),
            Row("i13", "is darker and has longer sleeves", "i14", Ids(15, 16, 17, 18, 19), Ids(20, 21, 22, 23, 24)),
        ];
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.FullPath, "grid.png");

        QueryGrid.SavePng(rows, Methods, Solid, path);

        using var bitmap = PngPixels.Decode(path);
        // Reference, target, text column (210) and two blocks of five 120-px cells; header and two rows of 160-px images.
        Assert.Equal((1814, 454), (bitmap.Width, bitmap.Height));
        foreach (var shown in Ids(0, 1, 2, 6, 8, 12, 13, 14, 15, 24))
            Assert.True(PngPixels.Count(bitmap, c => PngPixels.Near(c, ColorOf(shown), 2)) > 8000, $"image {shown} is not drawn at x2");
        Assert.Equal(0, PngPixels.Count(bitmap, c => PngPixels.Near(c, ColorOf("i7"), 2))); // rank 6 is not shown
        Assert.True(PngPixels.Count(bitmap, PngPixels.IsDark, new SKRectI(0, 0, bitmap.Width, 60)) > 200, "no header text");
    }

    [Fact]
    public void FramesCorrectRetrievalsInGreenAndNothingElse()
    {
        var options = new QueryGridOptions { ShowTarget = false };
        QueryGridRow Query(params int[] baseline) => Row("i0", "replace grey with black", "i1", Ids(baseline), Ids(2, 3, 4, 5, 6));

        using var none = QueryGrid.Render([Query(2, 3, 4, 5, 6)], Methods, Solid, options);
        using var one = QueryGrid.Render([Query(2, 1, 4, 5, 6)], Methods, Solid, options);
        using var beyond = QueryGrid.Render([Query(2, 3, 4, 5, 6, 7, 1)], Methods, Solid, options);

        int GreenPixels(SKBitmap bitmap) => PngPixels.Count(bitmap, c => PngPixels.Near(c, Green, 25));
        Assert.Equal(0, GreenPixels(none));
        Assert.Equal(0, GreenPixels(beyond)); // rank 7: said in grey text, not framed
        Assert.InRange(GreenPixels(one), 2 * (124 + 164) * 3, 2 * (124 + 164) * 4 + 3000); // one 4-px frame and its green caption
    }

    [Fact]
    public void LoadsEachImageOnce()
    {
        var loads = new Dictionary<string, int>();
        SKBitmap Counting(string id)
        {
            loads[id] = loads.GetValueOrDefault(id) + 1;
            return Solid(id);
        }

        using var _ = QueryGrid.Render([Row("i0", "t", "i1", Ids(1, 2, 3, 4, 5), Ids(5, 4, 3, 2, 1))], Methods, Counting);

        Assert.Equal(6, loads.Count);
        Assert.All(loads.Values, count => Assert.Equal(1, count));
    }

    [Fact]
    public void NamesTheRowAndTheImageThatCannotBeLoaded()
    {
        SKBitmap Missing(string id) => id == "i4" ? throw new FileNotFoundException($"Image file '/x/{id}' does not exist.") : Solid(id);

        var error = Assert.Throws<InvalidOperationException>(() =>
            QueryGrid.Render([Row("i0", "t", "i1", Ids(2, 3, 4, 5, 6), Ids(2, 3, 5, 6, 7))], Methods, Missing));

        Assert.Contains("Query grid row 0 (i0 + \"t\" -> i1)", error.Message);
        Assert.Contains("image 'i4' could not be loaded: Image file '/x/i4' does not exist.", error.Message);
    }

    [Fact]
    public void RequiresARankingForEveryMethod()
    {
        var row = new QueryGridRow(new GridQuery("i0", "t", "i1"),
            new Dictionary<string, IReadOnlyList<string>> { [Methods[0]] = Ids(1, 2) });

        var error = Assert.Throws<ArgumentException>(() => QueryGrid.Render([row], Methods, Solid));

        Assert.Contains($"has no ranking for method '{MethodNames.Uncertainty}'", error.Message);
    }

    [Fact]
    public void FindsTheFirstCorrectRank()
    {
        var targets = new HashSet<string> { "b", "d" };
        Assert.Equal(2, QueryGrid.FirstCorrectRank(["a", "b", "c", "d"], targets));
        Assert.Equal(0, QueryGrid.FirstCorrectRank(["a", "c"], targets));
    }

    [Fact]
    public void SamplesQueriesReproduciblyInTheirOriginalOrder()
    {
        var first = QueryGridRow.Sample(20, 5, seed: 7);
        var again = QueryGridRow.Sample(20, 5, seed: 7);
        var other = QueryGridRow.Sample(20, 5, seed: 8);

        Assert.Equal(5, first.Count);
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.Equal(first.Order(), first);
        Assert.Equal(5, first.Distinct().Count());
        Assert.All(first, i => Assert.InRange(i, 0, 19));
        Assert.Equal([0, 1, 2], QueryGridRow.Sample(3, 10, seed: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => QueryGridRow.Sample(-1, 2, 1));
    }

    [SkippableFact]
    public void DrawsRealProductPhotos()
    {
        var images = SharedData.Require("datasets/fashion-product-images/images");
        var ids = Directory.EnumerateFiles(images, "*.jpg").Order().Take(12).Select(p => Path.GetFileName(p)).ToArray();
        var row = new QueryGridRow(new GridQuery(ids[0], "replace black with pink", ids[3]),
            new Dictionary<string, IReadOnlyList<string>> { [Methods[0]] = ids[1..7], [Methods[1]] = ids[6..12] });

        using var bitmap = QueryGrid.Render([row], Methods, id => SKBitmap.Decode(Path.Combine(images, id)),
            new QueryGridOptions { Title = "real" });

        Assert.Equal(16 + 36 + 44 + 160 + 22 + 16, bitmap.Height);
        Assert.True(PngPixels.Count(bitmap, c => PngPixels.Near(c, Green, 25)) > 2 * (124 + 164) * 3); // the target and its hit at rank 3
    }
}
