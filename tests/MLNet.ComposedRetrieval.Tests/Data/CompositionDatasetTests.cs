using MLNet.ComposedRetrieval.Data;

namespace MLNet.ComposedRetrieval.Tests.Data;

public class CompositionDatasetTests
{
    private static CompositionDataset Sample(ImageLocator images) => new(
        "sample",
        [new("a.jpg", "replace red with blue", "b.jpg"), new("c.jpg", "replace blue with red", "a.jpg")],
        [new CompositionQuery("d.jpg", "replace x with y", ["e.jpg", "f.jpg"]), new CompositionQuery("e.jpg", "replace y with x", "d.jpg")],
        ["d.jpg", "e.jpg", "f.jpg"],
        images);

    [Fact]
    public void LocatorFillsThePatternUnderTheRoot()
    {
        var locator = new ImageLocator("/data/fiq", "images/{id}.jpg");
        Assert.Equal(Path.GetFullPath("/data/fiq/images/B00X.jpg"), locator.Resolve("B00X"));
        Assert.Throws<ArgumentException>(() => new ImageLocator("/data", "images/x.jpg"));
    }

    [Fact]
    public void LocatorFindsAFileInASubfolderByName()
    {
        using var folder = new TemporaryFolder();
        var nested = folder.WriteFile("womens_clogs/0/img_womens_clogs_1.jpg");
        folder.WriteFile("top.jpg");
        var searching = new ImageLocator(folder.FullPath, searchSubfolders: true);
        Assert.Equal(nested, searching.Resolve("img_womens_clogs_1.jpg"));
        Assert.Equal(Path.Combine(folder.FullPath, "top.jpg"), searching.Resolve("top.jpg"));
        Assert.Equal(Path.Combine(folder.FullPath, "absent.jpg"), searching.Resolve("absent.jpg"));

        var plain = new ImageLocator(folder.FullPath);
        Assert.Equal(Path.Combine(folder.FullPath, "img_womens_clogs_1.jpg"), plain.Resolve("img_womens_clogs_1.jpg"));
    }

    [Fact]
    public void CheckReportsMissingAndEmptyFilesWithExamples()
    {
        using var folder = new TemporaryFolder();
        foreach (var name in new[] { "a.jpg", "b.jpg", "d.jpg", "f.jpg" }) folder.WriteFile(name);
        folder.WriteFile("e.jpg", "");
        var dataset = Sample(new ImageLocator(folder.FullPath));

        var report = dataset.CheckImages(maxExamples: 1);

        Assert.Equal(6, report.CheckedImageCount);
        Assert.Equal(["c.jpg", "e.jpg"], report.MissingImages.Select(m => m.ImageId));
        Assert.Equal(["missing", "empty file"], report.MissingImages.Select(m => m.Reason));
        Assert.Equal(Path.Combine(folder.FullPath, "c.jpg"), Assert.Single(report.Examples).Path);
        Assert.Contains("2 of 6 images are missing or unreadable", report.ToString());
        Assert.Contains(Path.Combine(folder.FullPath, "c.jpg"), report.ToString());
    }

    [Fact]
    public void FailPolicyThrowsWithTheReport()
    {
        using var folder = new TemporaryFolder();
        var dataset = Sample(new ImageLocator(folder.FullPath));
        var e = Assert.Throws<MissingImagesException>(() => dataset.EnsureImages(MissingImagePolicy.Fail, out _));
        Assert.Equal(6, e.Report.MissingCount);
        Assert.Contains("MissingImagePolicy.Drop", e.Message);
        Assert.Throws<MissingImagesException>(() => e.Report.ThrowIfAny());
    }

    [Fact]
    public void DropPolicyRemovesWhatNeedsAMissingImageAndCountsIt()
    {
        using var folder = new TemporaryFolder();
        foreach (var name in new[] { "a.jpg", "b.jpg", "d.jpg", "e.jpg" }) folder.WriteFile(name);
        var dataset = Sample(new ImageLocator(folder.FullPath));

        var kept = dataset.EnsureImages(MissingImagePolicy.Drop, out var report);

        Assert.Equal(["c.jpg", "f.jpg"], report.MissingImages.Select(m => m.ImageId));
        Assert.Equal([new CompositionTriplet("a.jpg", "replace red with blue", "b.jpg")], kept.TrainTriplets);
        Assert.Equal(new CompositionQuery("d.jpg", "replace x with y", "e.jpg"), kept.EvalQueries[0]);
        Assert.Equal(2, kept.EvalQueries.Count);
        Assert.Equal(["d.jpg", "e.jpg"], kept.GalleryImageIds);
        Assert.Equal((1, 0, 1, 1), (report.DroppedTriplets, report.DroppedQueries, report.DroppedQueryTargets, report.DroppedGalleryImages));
        Assert.Contains("Dropped 1 training triplets, 0 queries, 1 query targets and 1 gallery images", report.ToString());
    }

    [Fact]
    public void NothingMissingKeepsTheSameDataset()
    {
        using var folder = new TemporaryFolder();
        foreach (var name in "abcdef") folder.WriteFile($"{name}.jpg");
        var dataset = Sample(new ImageLocator(folder.FullPath));
        Assert.Same(dataset, dataset.EnsureImages(MissingImagePolicy.Fail, out var report));
        Assert.False(report.HasMissing);
        Assert.Contains("all 6 images are present", report.ToString());
    }

    [Fact]
    public void GalleryMustHoldEveryTargetOnce()
    {
        var images = new ImageLocator("/x");
        var outside = Assert.Throws<ArgumentException>(() => new CompositionDataset(
            "d", [], [new CompositionQuery("a", "t", "z")], ["a"], images));
        Assert.Contains("'z'", outside.Message);
        var twice = Assert.Throws<ArgumentException>(() => new CompositionDataset("d", [], [], ["a", "a"], images));
        Assert.Contains("twice", twice.Message);
    }

    [Fact]
    public void QueriesCompareByTheirTargetLists()
    {
        Assert.Equal(new CompositionQuery("a", "t", ["b", "c"]), new CompositionQuery("a", "t", ["b", "c"]));
        Assert.NotEqual(new CompositionQuery("a", "t", ["b", "c"]), new CompositionQuery("a", "t", ["c", "b"]));
        Assert.Throws<ArgumentException>(() => new CompositionQuery("a", "t", Array.Empty<string>()));
    }
}
