using MLNet.ComposedRetrieval.Data;

namespace MLNet.ComposedRetrieval.Tests.Data;

public class Fashion200kReaderTests
{
    private static readonly string Fixture = DataFixtures.Path("fashion200k");

    [Fact]
    public void ReadsLabelFilesInNameOrderWithTirgCaptions()
    {
        var train = Fashion200kReader.ReadLabels(Fixture, "train");

        Assert.Equal(7, train.Count);
        Assert.Equal(new Fashion200kImage("women/dresses/casual/1/1_0.jpeg", 0.9, "black maxi dress"), train[0]);
        Assert.Equal("red maxi dress", train[2].Caption);                         // leading space trimmed
        Assert.Equal(new Fashion200kImage("women/jackets/denim/7/7_0.jpeg", 0.85, "black denim jacket"), train[6]); // CR-LF file
        Assert.Equal("3dotmark1 phillip lim dress", Fashion200kReader.ReadLabels(Fixture, "test")[3].Caption);
    }

    [Fact]
    public void CaptionIndexFindsOneWordNeighbours()
    {
        var train = Fashion200kReader.ReadLabels(Fixture, "train");
        var index = new Fashion200kCaptionIndex(train);

        Assert.Equal(6, index.CaptionCount);
        Assert.Equal(6, index.ModifiableImageCount);
        Assert.False(index.IsModifiable(4));                                       // "blue short sleeve top"
        Assert.Equal(["maxi dress", "black dress"], index.ParentCaptions(0));
        Assert.Equal(["black maxi dress", "black midi dress"], index.Children("black dress"));
        Assert.Equal([1, 2], index.ImagesWithCaption("red maxi dress"));
    }

    [Fact]
    public void ParentsRemoveAWordTheWayTirgDoes()
    {
        // TIRG removes the word as a substring everywhere, so "tan" also leaves "stand" as "sd".
        Assert.Equal("sd collar", Fashion200kCaptionIndex.Parent("tan stand collar", "tan"));
        Assert.Equal("black dress", Fashion200kCaptionIndex.Parent("black maxi dress", "maxi"));
    }

    [Fact]
    public void TrainingTripletsAreSampledLikeThePaperUnderASeed()
    {
        var train = Fashion200kReader.ReadLabels(Fixture, "train");

        var triplets = Fashion200kReader.SampleTrainingTriplets(train, perImage: 5, seed: 0);

        var caption = train.ToDictionary(i => i.FilePath, i => i.Caption);
        Assert.All(triplets, t =>
        {
            Assert.Equal(TirgCaptionText.ModificationText(caption[t.ReferenceImageId], caption[t.TargetImageId]), t.ModificationText);
            Assert.NotEqual(caption[t.ReferenceImageId], caption[t.TargetImageId]);
        });
        // Image pairs are never repeated in either direction; with 5 draws per image all 4 neighbour pairs appear.
        var pairs = triplets.Select(t => string.Join("|", new[] { t.ReferenceImageId, t.TargetImageId }.Order())).ToArray();
        Assert.Equal(pairs.Length, pairs.Distinct().Count());
        Assert.Equal(4, pairs.Length);
        Assert.DoesNotContain(triplets, t => t.ReferenceImageId.Contains("/5/") || t.TargetImageId.Contains("/5/"));
        Assert.Equal(triplets, Fashion200kReader.SampleTrainingTriplets(train, perImage: 5, seed: 0));
    }

    [Fact]
    public void TestQueriesTargetEveryImageWithTheTargetCaption()
    {
        var dataset = Fashion200kReader.Load(Fixture);

        Assert.Equal(
            [
                new CompositionQuery("women/dresses/t/10/10_0.jpeg", "replace black with red", ["women/dresses/t/11/11_0.jpeg", "women/dresses/t/12/12_0.jpeg"]),
                new CompositionQuery("women/dresses/t/13/13_0.jpeg", "replace dress with gown", "women/dresses/t/14/14_0.jpeg"),
            ],
            dataset.EvalQueries);
        Assert.Equal(6, dataset.GalleryImageIds.Count);     // every test image
        Assert.Equal(4, dataset.TrainTriplets.Count);
        Assert.Equal(Path.Combine(Fixture, "women", "dresses", "t", "10", "10_0.jpeg"), dataset.ResolveImage("women/dresses/t/10/10_0.jpeg"));

        var report = dataset.CheckImages();                 // no images in the fixture: every one is reported
        Assert.Equal(report.CheckedImageCount, report.MissingCount);
        Assert.Equal(6 + 6, report.CheckedImageCount);    // six training images in triplets, six test images
    }

    [Theory]
    [InlineData("fashion200k-label.bad-score.txt", 2, "expected a number as detection score, found \"high\"")]
    [InlineData("fashion200k-label.two-fields.txt", 2, "expected 3 tab-separated fields (image path, detection score, caption), found 2")]
    public void MalformedLabelLinesAreNamed(string file, int line, string expected)
    {
        var path = DataFixtures.Malformed(file);
        var e = Assert.Throws<AnnotationFormatException>(() => Fashion200kReader.ReadLabelFile(path));
        Assert.Equal((path, line), (e.FilePath, e.LineNumber));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void AQueryOnAnUnknownImageIsNamed()
    {
        var root = DataFixtures.Malformed("fashion200k");
        var e = Assert.Throws<AnnotationFormatException>(() => Fashion200kReader.Load(root));
        Assert.Equal((Path.Combine(root, Fashion200kReader.TestQueriesFile), 2), (e.FilePath, e.LineNumber));
        Assert.Contains("the image 'a/9.jpeg' is in no test label file", e.Message);
    }

    [Fact]
    public void AMissingSplitIsNamed()
    {
        var e = Assert.Throws<FileNotFoundException>(() => Fashion200kReader.ReadLabels(Fixture, "val"));
        Assert.Contains("<category>_val_detect_all.txt", e.Message);
    }
}
