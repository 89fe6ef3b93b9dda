using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Tests.Infrastructure;

namespace MLNet.ComposedRetrieval.Tests.Data;

public class ShoesReaderTests
{
    private static readonly string Fixture = DataFixtures.Path("shoes");

    [Fact]
    public void TripletsGoToTheSplitThatListsBothImages()
    {
        var dataset = ShoesReader.Load(Fixture);

        Assert.Equal(
            [
                new CompositionTriplet("img_womens_clogs_1.jpg", "is more of a textured material", "img_womens_clogs_2.jpg"),
                new CompositionTriplet("img_womens_clogs_2.jpg", "has a higher heel", "img_womens_pumps_3.jpg"),
            ],
            dataset.TrainTriplets);
        Assert.Equal(
            [
                new CompositionQuery("img_womens_boots_4.jpg", "is taller", "img_womens_boots_5.jpg"),
                new CompositionQuery("img_womens_flats_6.jpg", "is a boot", "img_womens_boots_4.jpg"),
            ],
            dataset.EvalQueries);
        Assert.Equal(["img_womens_boots_4.jpg", "img_womens_boots_5.jpg", "img_womens_flats_6.jpg", "img_womens_flats_7.jpg"], dataset.GalleryImageIds);
    }

    [Fact]
    public void ImagesAreFoundInTheirCategoryFoldersAndMissingOnesReported()
    {
        using var images = new TemporaryFolder();
        foreach (var name in new[] { "clogs_1", "clogs_2", "boots_4", "boots_5", "flats_6", "flats_7" })
            images.WriteFile($"womens_{name.Split('_')[0]}/img_womens_{name}.jpg");
        var dataset = ShoesReader.Load(Fixture, new ShoesOptions { ImageRoot = images.FullPath });

        Assert.Equal(Path.Combine(images.FullPath, "womens_boots", "img_womens_boots_4.jpg"), dataset.ResolveImage("img_womens_boots_4.jpg"));
        var report = dataset.CheckImages();
        var missing = Assert.Single(report.MissingImages);
        Assert.Equal(("img_womens_pumps_3.jpg", "missing"), (missing.ImageId, missing.Reason));
        Assert.Contains("1 of 7 images are missing", report.ToString());
    }

    [Fact]
    public void ATripletAcrossSplitsIsNamed()
    {
        var root = DataFixtures.Malformed("shoes");
        var e = Assert.Throws<AnnotationFormatException>(() => ShoesReader.Load(root));
        Assert.Equal(Path.Combine(root, ShoesReader.CaptionsFile), e.FilePath);
        Assert.Equal(4, e.LineNumber);
        Assert.Contains("entry 2: expected both images in the same split list, found reference 'a.jpg' in train_im_names.txt and target 'c.jpg' in eval_im_names.txt", e.Message);
    }

    [Fact]
    public void ARepeatedImageNameIsNamed()
    {
        using var folder = new TemporaryFolder();
        var path = folder.WriteFile("names.txt", "a.jpg\nb.jpg\n\na.jpg\n");
        var e = Assert.Throws<AnnotationFormatException>(() => ShoesReader.ReadImageNames(path));
        Assert.Equal(4, e.LineNumber);
        Assert.Contains("already listed on line 1", e.Message);
    }

    [SkippableFact]
    public void RealAnnotationsSplitAsTheReadmeSays()
    {
        var root = SharedData.Require("datasets/shoes");
        var dataset = ShoesReader.Load(root);

        Assert.Equal(8_990, dataset.TrainTriplets.Count);
        Assert.Equal(1_761, dataset.EvalQueries.Count);
        Assert.Equal(4_658, dataset.GalleryImageIds.Count);   // every eval image; test images are all among them
        Assert.Equal(10_000, ShoesReader.ReadImageNames(Path.Combine(root, ShoesReader.TrainImagesFile)).Count);
        Assert.Equal(10_751, ShoesReader.ReadRelativeCaptions(Path.Combine(root, ShoesReader.CaptionsFile)).Count);
        Assert.Equal(new CompositionTriplet("img_womens_clogs_512.jpg", "is more of a textured material", "img_womens_clogs_851.jpg"),
            ShoesReader.ReadRelativeCaptions(Path.Combine(root, ShoesReader.CaptionsFile))[0]);
    }
}
