using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Tests.Infrastructure;

namespace MLNet.ComposedRetrieval.Tests.Data;

public class TripletTsvReaderTests
{
    private static readonly string FixtureFolder = DataFixtures.Path("fashion-product");

    [Fact]
    public void LoadsTripletsQueriesAndTheSplitGallery()
    {
        var dataset = TripletTsvReader.Load(FixtureFolder);

        Assert.Equal("fashion-product-images", dataset.Name);
        Assert.Equal(7, dataset.TrainTriplets.Count);
        Assert.Equal(new CompositionTriplet("10.jpg", "replace grey with white", "9.jpg"), dataset.TrainTriplets[0]);
        Assert.Equal(3, dataset.EvalQueries.Count);
        Assert.Equal(new CompositionQuery("6.jpg", "replace black with grey", ["13.jpg", "14.jpg"]), dataset.EvalQueries[1]);
        Assert.Equal(["4.jpg", "6.jpg", "13.jpg", "14.jpg", "15.jpg"], dataset.GalleryImageIds);
        Assert.Equal(Path.Combine(FixtureFolder, "images", "13.jpg"), dataset.ResolveImage("13.jpg"));
    }

    [Fact]
    public void MissingImagesAreReportedAndCanBeDropped()
    {
        using var images = new TemporaryFolder();
        foreach (var id in new[] { 1, 2, 4, 5, 6, 9, 10, 12, 15 }) images.WriteFile($"{id}.jpg");
        images.WriteFile("13.jpg", "");   // 14.jpg is absent
        var dataset = TripletTsvReader.Load(FixtureFolder, new TripletTsvLayout { ImageFolder = images.FullPath });

        var report = dataset.CheckImages();
        Assert.Equal(["13.jpg", "14.jpg"], report.MissingImages.Select(m => m.ImageId));
        Assert.Equal(["empty file", "missing"], report.MissingImages.Select(m => m.Reason));
        Assert.Throws<MissingImagesException>(() => dataset.EnsureImages(MissingImagePolicy.Fail, out _));

        var kept = dataset.EnsureImages(MissingImagePolicy.Drop, out var dropReport);
        Assert.Empty(kept.EvalQueries);                   // 13 and 14 are references, and 6's targets are 13 and 14
        Assert.Equal(3, dropReport.DroppedQueries);
        Assert.Equal(7, kept.TrainTriplets.Count);
        Assert.Equal(["4.jpg", "6.jpg", "15.jpg"], kept.GalleryImageIds);
    }

    [Theory]
    [InlineData("triplets.missing-field.tsv", 3, "expected 3 fields separated by tabs (reference_image, modification_text, target_image), found 2")]
    [InlineData("triplets.bad-header.tsv", 1, "expected the header \"reference_image<TAB>modification_text<TAB>target_image\"")]
    [InlineData("triplets.empty-text.tsv", 2, "the column 'modification_text' is empty")]
    public void MalformedTripletLinesAreNamed(string file, int line, string expected)
    {
        var path = DataFixtures.Malformed(file);
        var e = Assert.Throws<AnnotationFormatException>(() => TripletTsvReader.ReadTriplets(path));
        Assert.Equal(path, e.FilePath);
        Assert.Equal(line, e.LineNumber);
        Assert.Contains(expected, e.Message);
        Assert.StartsWith($"{path}, line {line}: ", e.Message);
    }

    [Fact]
    public void AnEmptyTargetInAQueryIsNamed()
    {
        var path = DataFixtures.Malformed("queries.empty-target.tsv");
        var e = Assert.Throws<AnnotationFormatException>(() => TripletTsvReader.ReadQueries(path));
        Assert.Equal(4, e.LineNumber);   // the blank line 3 is skipped but counted
        Assert.Contains("found an empty one in \"1.jpg;;4.jpg\"", e.Message);
    }

    [Fact]
    public void AQueryTargetOutsideTheGalleryIsAnError()
    {
        var path = Path.Combine(FixtureFolder, "queries.val.tsv");
        var e = Assert.Throws<AnnotationFormatException>(() =>
            TripletTsvReader.ReadQueries(path, new HashSet<string> { "6.jpg", "13.jpg" }));
        Assert.Equal(3, e.LineNumber);
        Assert.Contains("'14.jpg' is not in the gallery", e.Message);
    }

    [Fact]
    public void ARepeatedImageIdIsAnError()
    {
        var e = Assert.Throws<AnnotationFormatException>(() => TripletTsvReader.ReadImageList(DataFixtures.Malformed("split.repeated-id.tsv")));
        Assert.Equal(4, e.LineNumber);
    }

    [Fact]
    public void AnAbsentFileIsNamed()
    {
        var e = Assert.Throws<FileNotFoundException>(() => TripletTsvReader.ReadTriplets("/nonexistent/triplets.tsv"));
        Assert.Contains("/nonexistent/triplets.tsv", e.Message);
    }

    [SkippableFact]
    public void RealFashionProductFilesHaveTheDocumentedCountsAndAllImages()
    {
        var folder = SharedData.Require("datasets/fashion-product-images");
        var dataset = TripletTsvReader.Load(folder);

        Assert.Equal(139_276, dataset.TrainTriplets.Count);
        Assert.Equal(1_958, dataset.EvalQueries.Count);
        Assert.Equal(4_433, dataset.GalleryImageIds.Count);
        Assert.Equal(new CompositionTriplet("46273.jpg", "replace embellished with printed", "46263.jpg"), dataset.TrainTriplets[0]);
        Assert.Equal(new CompositionQuery("43770.jpg", "replace rust with purple", ["43825.jpg", "43850.jpg"]), dataset.EvalQueries[1]);
        Assert.All(dataset.TrainTriplets, t => Assert.StartsWith("replace ", t.ModificationText));

        var report = dataset.CheckImages();
        Assert.False(report.HasMissing, report.ToString());
    }
}
