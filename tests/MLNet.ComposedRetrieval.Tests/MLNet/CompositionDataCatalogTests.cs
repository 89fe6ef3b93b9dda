using Microsoft.ML;
using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Tests.Data;

namespace MLNet.ComposedRetrieval.Tests.Pipeline;

public class CompositionDataCatalogTests
{
    private static readonly MLContext Ml = new(seed: 1);

    [Fact]
    public void TripletsLoadAsFullPathsInTheEstimatorsDefaultColumns()
    {
        using var folder = new TemporaryFolder();
        folder.WriteFile("images/a.jpg");
        folder.WriteFile("images/b.jpg");
        var tsv = folder.WriteFile("triplets.tsv", "reference_image\tmodification_text\ttarget_image\na.jpg\tin red\tb.jpg\nb.jpg\tin blue\ta.jpg\n");

        var rows = Ml.Data.CreateEnumerable<Row>(Ml.Data.LoadCompositionTriplets(tsv, Path.Combine(folder.FullPath, "images")), reuseRowObject: false).ToList();

        Assert.Equal(2, rows.Count);
        Assert.Equal(Path.Combine(folder.FullPath, "images", "a.jpg"), rows[0].ReferenceImage);
        Assert.Equal("in red", rows[0].ModificationText);
        Assert.Equal(Path.Combine(folder.FullPath, "images", "b.jpg"), rows[0].TargetImage);
        // The names the estimator reads by default, so the view plugs straight in.
        var defaults = new ComposeImageTextEstimator.Options();
        var schema = Ml.Data.LoadCompositionTriplets(tsv, Path.Combine(folder.FullPath, "images")).Schema;
        Assert.NotNull(schema.GetColumnOrNull(defaults.ReferenceImageColumnName));
        Assert.NotNull(schema.GetColumnOrNull(defaults.TextColumnName));
        Assert.NotNull(schema.GetColumnOrNull(defaults.TargetImageColumnName));
    }

    [Fact]
    public void QueriesKeepEveryTargetSeparatedBySemicolons()
    {
        using var folder = new TemporaryFolder();
        foreach (var name in new[] { "a", "b", "c" }) folder.WriteFile($"{name}.jpg");
        var tsv = folder.WriteFile("queries.tsv", "reference_image\tmodification_text\ttarget_images\na.jpg\tin red\tb.jpg;c.jpg\n");

        var row = Assert.Single(Ml.Data.CreateEnumerable<Row>(Ml.Data.LoadCompositionQueries(tsv), reuseRowObject: false));

        Assert.Equal(Path.Combine(folder.FullPath, "b.jpg") + ";" + Path.Combine(folder.FullPath, "c.jpg"), row.TargetImage);
    }

    [Fact]
    public void MissingFilesAndImagesAreNamed()
    {
        using var folder = new TemporaryFolder();
        folder.WriteFile("a.jpg");
        var tsv = folder.WriteFile("triplets.tsv", "reference_image\tmodification_text\ttarget_image\na.jpg\tin red\tgone.jpg\n");

        var missingImage = Assert.ThrowsAny<IOException>(() => Ml.Data.LoadCompositionTriplets(tsv));
        Assert.Contains("gone.jpg", missingImage.Message);
        Assert.ThrowsAny<IOException>(() => Ml.Data.LoadCompositionTriplets(Path.Combine(folder.FullPath, "absent.tsv")));
        var queries = folder.WriteFile("queries.tsv", "reference_image\tmodification_text\ttarget_images\na.jpg\tin red\tgone.jpg\n");
        Assert.Contains("gone.jpg", Assert.ThrowsAny<IOException>(() => Ml.Data.LoadCompositionQueries(queries)).Message);
        var resolvedOnly = Assert.Single(Ml.Data.CreateEnumerable<Row>(Ml.Data.LoadCompositionQueries(queries, checkImages: false), false));
        Assert.Equal(Path.Combine(folder.FullPath, "gone.jpg"), resolvedOnly.TargetImage);
        Assert.ThrowsAny<IOException>(() => Ml.Data.LoadShoes(Path.Combine(folder.FullPath, "no-such-folder"), CompositionDataPart.Triplets));
    }

    [Fact]
    public void ADatasetLoadsAsTheSeededSubsetOfTheReaderAndCanDropMissingImages()
    {
        using var images = new TemporaryFolder();
        foreach (var name in new[] { "clogs_1", "clogs_2", "boots_4", "boots_5", "flats_6", "flats_7", "pumps_3" })
            images.WriteFile($"womens_{name.Split('_')[0]}/img_womens_{name}.jpg");
        var fixture = DataFixtures.Path("shoes");
        var expected = ShoesReader.Load(fixture, new ShoesOptions { ImageRoot = images.FullPath }).Subset(1, 1, 1, seed: 0);
        var options = new CompositionDatasetOptions { Format = "shoes", ImageFolder = images.FullPath, MaxTriplets = 1, MaxQueries = 1, MaxGallery = 1 };

        var views = Ml.Data.LoadCompositionDataset(fixture, options);

        Assert.Equal(expected.Name, views.Name);
        var triplet = Assert.Single(Ml.Data.CreateEnumerable<Row>(views.Triplets, false));
        Assert.Equal(expected.ResolveImage(expected.TrainTriplets[0].ReferenceImageId), triplet.ReferenceImage);
        var query = Assert.Single(Ml.Data.CreateEnumerable<Row>(views.Queries, false));
        Assert.Equal(expected.ResolveImage(expected.EvalQueries[0].ReferenceImageId), query.ReferenceImage);
        Assert.Equal(expected.GalleryImageIds.Select(expected.ResolveImage), Ml.Data.CreateEnumerable<GalleryRow>(views.Gallery, false).Select(g => g.Image));

        // A missing image fails by default, naming the advice given, and is dropped with its triplets when asked.
        File.Delete(expected.ResolveImage(expected.TrainTriplets[0].TargetImageId));
        options.MissingImagesAdvice = "Pass --drop.";
        Assert.Contains("Pass --drop.", Assert.ThrowsAny<IOException>(() => Ml.Data.LoadCompositionDataset(fixture, options)).Message);
        options.DropMissingImages = true;
        var dropped = Ml.Data.LoadCompositionDataset(fixture, options);
        Assert.Empty(Ml.Data.CreateEnumerable<Row>(dropped.Triplets, false));
        Assert.Contains("Dropped 1 training triplets", dropped.ImageCheck);
        // Unchecked, nothing is dropped: the deleted image keeps its triplet, its path where the layout looks for it.
        options.DropMissingImages = false;
        options.CheckImages = false;
        var resolvedOnly = Ml.Data.LoadCompositionDataset(fixture, options);
        var kept = Assert.Single(Ml.Data.CreateEnumerable<Row>(resolvedOnly.Triplets, false));
        Assert.EndsWith(Path.GetFileName(expected.ResolveImage(expected.TrainTriplets[0].TargetImageId)), kept.TargetImage, StringComparison.Ordinal);
        Assert.False(File.Exists(kept.TargetImage));
        Assert.Contains("not checked", resolvedOnly.ImageCheck);
        Assert.Throws<ArgumentException>(() => Ml.Data.LoadCompositionDataset(fixture, new CompositionDatasetOptions { Format = "tiff" }));
    }

    [Fact]
    public void ShoesPartsAreTheReadersAndAMissingImageFailsThePartThatNeedsIt()
    {
        using var images = new TemporaryFolder();
        foreach (var name in new[] { "clogs_1", "clogs_2", "boots_4", "boots_5", "flats_6", "flats_7", "pumps_3" })
            images.WriteFile($"womens_{name.Split('_')[0]}/img_womens_{name}.jpg");
        var fixture = DataFixtures.Path("shoes");
        var dataset = ShoesReader.Load(fixture, new ShoesOptions { ImageRoot = images.FullPath });

        var triplets = Ml.Data.CreateEnumerable<Row>(Ml.Data.LoadShoes(fixture, CompositionDataPart.Triplets, images.FullPath), false).ToList();
        var queries = Ml.Data.CreateEnumerable<Row>(Ml.Data.LoadShoes(fixture, CompositionDataPart.Queries, images.FullPath), false).ToList();
        var gallery = Ml.Data.CreateEnumerable<GalleryRow>(Ml.Data.LoadShoes(fixture, CompositionDataPart.Gallery, images.FullPath), false).ToList();

        Assert.Equal(dataset.TrainTriplets.Count, triplets.Count);
        Assert.Equal(dataset.EvalQueries.Count, queries.Count);
        Assert.Equal(dataset.GalleryImageIds.Select(dataset.ResolveImage), gallery.Select(g => g.Image));
        Assert.Equal(dataset.ResolveImage(dataset.TrainTriplets[0].ReferenceImageId), triplets[0].ReferenceImage);

        File.Delete(dataset.ResolveImage(dataset.TrainTriplets[0].TargetImageId));
        Assert.ThrowsAny<IOException>(() => Ml.Data.LoadShoes(fixture, CompositionDataPart.Triplets, images.FullPath));
    }

    [Fact]
    public void AnUnknownFashionIqCategoryIsAnError()
    {
        var error = Assert.Throws<ArgumentException>(() => Ml.Data.LoadFashionIq(DataFixtures.Path("fashioniq"), "hats", CompositionDataPart.Triplets));
        Assert.Contains("dress, shirt or toptee", error.Message);
    }

    private sealed class Row
    {
        public string ReferenceImage { get; set; } = "";
        public string ModificationText { get; set; } = "";
        public string TargetImage { get; set; } = "";
    }

    private sealed class GalleryRow
    {
        public string Image { get; set; } = "";
    }
}
