using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Tests.Infrastructure;

namespace MLNet.ComposedRetrieval.Tests.Data;

public class FashionIqReaderTests
{
    private static readonly string Fixture = DataFixtures.Path("fashioniq");

    [Fact]
    public void EachPairGivesOneExamplePerCaptionOrder()
    {
        var dataset = FashionIqReader.Load(Fixture, FashionIqCategory.Dress);

        Assert.Equal("FashionIQ dress", dataset.Name);
        Assert.Equal(
            [
                new CompositionTriplet("B00TRAIN01", "is red and shorter and has no sleeves", "B00TRAIN02"),
                new CompositionTriplet("B00TRAIN01", "has no sleeves and is red and shorter", "B00TRAIN02"),
                new CompositionTriplet("B00TRAIN03", "is longer and", "B00TRAIN01"),   // the second caption is empty
                new CompositionTriplet("B00TRAIN03", "and is longer", "B00TRAIN01"),
            ],
            dataset.TrainTriplets);
        Assert.Equal(6, dataset.EvalQueries.Count);
        Assert.Equal(new CompositionQuery("B00VAL0001", "is shiny and silver and fit and flare", "B00VAL0002"), dataset.EvalQueries[0]);
        Assert.Equal(new CompositionQuery("B00VAL0001", "fit and flare and is shiny and silver", "B00VAL0002"), dataset.EvalQueries[1]);
        Assert.Equal(new CompositionQuery("B00VAL0003", "is a solid red color. and shorter & tighter", "B00VAL0001"), dataset.EvalQueries[4]);
        // The paper's gallery: the unique reference and target images of the val pairs (B00VAL0004 is only in the split).
        Assert.Equal(["B00VAL0001", "B00VAL0002", "B00VAL0003"], dataset.GalleryImageIds);
        Assert.Equal(Path.Combine(Fixture, "images", "B00VAL0002.jpg"), dataset.ResolveImage("B00VAL0002"));
    }

    [Fact]
    public void OptionsChooseTheSplitGalleryTheImageFolderAndThePaperPunctuation()
    {
        using var images = new TemporaryFolder();
        var dataset = FashionIqReader.Load(Fixture, FashionIqCategory.Dress, new FashionIqOptions
        {
            ImageRoot = images.FullPath,
            ImagePattern = "dress/{id}.png",
            GalleryFromImageSplit = true,
            SpellOutPunctuation = true,
        });

        Assert.Equal(["B00VAL0001", "B00VAL0002", "B00VAL0003", "B00VAL0004"], dataset.GalleryImageIds);
        Assert.Equal("is a solid red colordotmark and shorter andmark tighter", dataset.EvalQueries[4].ModificationText);
        Assert.Equal(Path.Combine(images.FullPath, "dress", "B00VAL0004.png"), dataset.ResolveImage("B00VAL0004"));
    }

    [Fact]
    public void TestPairsHaveNoTarget()
    {
        var pair = Assert.Single(FashionIqReader.ReadPairs(Fixture, FashionIqCategory.Dress, "test"));
        Assert.Equal(new FashionIqPair("B00TEST001", null, "is blue", "has a belt"), pair);
        Assert.Throws<ArgumentException>(() => FashionIqReader.ReadPairs(Fixture, FashionIqCategory.Dress, "dev"));
    }

    [Fact]
    public void MissingImagesAreReportedThenDropped()
    {
        using var images = new TemporaryFolder();
        foreach (var id in new[] { "B00TRAIN01", "B00TRAIN02", "B00VAL0001", "B00VAL0003" }) images.WriteFile($"images/{id}.jpg");
        var dataset = FashionIqReader.Load(Fixture, FashionIqCategory.Dress, new FashionIqOptions { ImageRoot = images.FullPath });

        var kept = dataset.EnsureImages(MissingImagePolicy.Drop, out var report);

        Assert.Equal(["B00TRAIN03", "B00VAL0002"], report.MissingImages.Select(m => m.ImageId));
        Assert.Equal(Path.Combine(images.FullPath, "images", "B00TRAIN03.jpg"), report.Examples[0].Path);
        Assert.Equal((2, 2, 1), (report.DroppedTriplets, report.DroppedQueries, report.DroppedGalleryImages));
        Assert.Equal(2, kept.TrainTriplets.Count);
        Assert.Equal(4, kept.EvalQueries.Count);
    }

    [Fact]
    public void AnEntryWithoutTargetIsNamedWithItsLine()
    {
        var root = DataFixtures.Malformed("fashioniq");
        var e = Assert.Throws<AnnotationFormatException>(() => FashionIqReader.ReadPairs(root, FashionIqCategory.Dress, "val"));
        Assert.Equal(Path.Combine(root, "captions", "cap.dress.val.json"), e.FilePath);
        Assert.Equal(7, e.LineNumber);
        Assert.Contains("entry 1: expected a non-empty string property \"target\", found no such property", e.Message);
    }

    [Fact]
    public void ThreeCaptionsAreAnError()
    {
        var e = Assert.Throws<AnnotationFormatException>(() =>
            FashionIqReader.ReadPairs(DataFixtures.Malformed("fashioniq"), FashionIqCategory.Shirt, "train"));
        Assert.Equal(2, e.LineNumber);
        Assert.Contains("expected \"captions\" to hold 2 captions, found 3", e.Message);
    }

    [Fact]
    public void InvalidJsonGivesItsLine()
    {
        var e = Assert.Throws<AnnotationFormatException>(() =>
            FashionIqReader.ReadPairs(DataFixtures.Malformed("fashioniq"), FashionIqCategory.TopTee, "train"));
        Assert.Equal(9, e.LineNumber);
        Assert.Contains("invalid JSON", e.Message);
    }

    [SkippableTheory]
    [InlineData("dress", 5_985, 2_017, 2_024, 11_452, 3_817, 3_818, 2_628)]
    [InlineData("shirt", 5_988, 2_038, 2_038, 19_036, 6_346, 6_346, 3_089)]
    [InlineData("toptee", 6_027, 1_961, 2_056, 16_121, 5_373, 5_374, 2_902)]
    public void RealAnnotationsHaveTheKnownCounts(
        string categoryName, int trainPairs, int valPairs, int testPairs,
        int trainImages, int valImages, int testImages, int valGallery)
    {
        var category = FashionIqReader.Categories.Single(c => FashionIqReader.FileName(c) == categoryName);
        var root = SharedData.Require("datasets/fashioniq");

        Assert.Equal(trainPairs, FashionIqReader.ReadPairs(root, category, "train").Count);
        Assert.Equal(valPairs, FashionIqReader.ReadPairs(root, category, "val").Count);
        Assert.Equal(testPairs, FashionIqReader.ReadPairs(root, category, "test").Count);
        Assert.Equal(trainImages, FashionIqReader.ReadImageSplit(root, category, "train").Count);
        Assert.Equal(valImages, FashionIqReader.ReadImageSplit(root, category, "val").Count);
        Assert.Equal(testImages, FashionIqReader.ReadImageSplit(root, category, "test").Count);

        var dataset = FashionIqReader.Load(root, category);
        Assert.Equal(2 * trainPairs, dataset.TrainTriplets.Count);
        Assert.Equal(2 * valPairs, dataset.EvalQueries.Count);
        Assert.Equal(valGallery, dataset.GalleryImageIds.Count);
        Assert.Equal(valImages, FashionIqReader.Load(root, category, new FashionIqOptions { GalleryFromImageSplit = true }).GalleryImageIds.Count);
    }

    [SkippableFact]
    public void RealImagesAreAbsentHereAndTheReportSaysSo()
    {
        var root = SharedData.Require("datasets/fashioniq");
        var dataset = FashionIqReader.Load(root, FashionIqCategory.Dress);

        var report = dataset.CheckImages();

        Assert.Equal(report.CheckedImageCount, report.MissingCount);
        Assert.Equal(Path.Combine(root, "images", dataset.TrainTriplets[0].ReferenceImageId + ".jpg"), report.Examples[0].Path);
        Assert.Equal(5, report.Examples.Count);
        var e = Assert.Throws<MissingImagesException>(() => dataset.EnsureImages(MissingImagePolicy.Fail, out _));
        Assert.Contains($"{report.MissingCount} of {report.CheckedImageCount} images are missing", e.Message);
    }
}
