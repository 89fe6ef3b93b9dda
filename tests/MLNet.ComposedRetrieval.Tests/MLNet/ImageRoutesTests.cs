using Microsoft.ML;
using MLNet.ComposedRetrieval.Tests.Data;

namespace MLNet.ComposedRetrieval.Tests.Pipeline;

/// <summary>
/// The two ways an image reaches the model, an MLImage column from LoadImages and a String path column, give the same
/// embedding (alpha included) and fail with errors that name the row (and the file, where
/// it is known).
/// </summary>
[Collection(TrainedModelCollection.Name)]
public sealed class ImageRoutesTests(TrainedModelFixture fixture) : IDisposable
{
    private readonly MLContext _ml = fixture.ML;
    private readonly TemporaryFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void APngWithAlphaEmbedsIdenticallyThroughLoadImagesAndThroughItsPath()
    {
        File.WriteAllBytes(Path.Combine(_folder.FullPath, "translucent.png"), ImageDecodingTests.TranslucentPng(40, 24));
        var rows = _ml.Data.LoadFromEnumerable(new[] { new ImageRow { Path = "translucent.png" } });

        var viaLoadImages = _ml.Transforms.LoadImages("Image", _folder.FullPath, nameof(ImageRow.Path))
            .Append(_ml.Transforms.EmbedGalleryImages(fixture.Model, inputColumnName: "Image")).Fit(rows).Transform(rows);
        var viaPath = _ml.Transforms.EmbedGalleryImages(fixture.Model, inputColumnName: nameof(ImageRow.Path), imageFolder: _folder.FullPath)
            .Fit(rows).Transform(rows);

        Assert.Equal(DataViewColumns.Vectors(viaPath, "ImageEmbedding")[0], DataViewColumns.Vectors(viaLoadImages, "ImageEmbedding")[0]);
    }

    [Fact]
    public void AnUndecodableImageNamesItsRowAndFileOnEveryRoute()
    {
        File.WriteAllBytes(Path.Combine(_folder.FullPath, "fine.png"), ImageDecodingTests.TranslucentPng(8, 8));
        File.WriteAllText(Path.Combine(_folder.FullPath, "broken.png"), "not a png");
        var rows = _ml.Data.LoadFromEnumerable(new[] { new ImageRow { Path = "fine.png" }, new ImageRow { Path = "broken.png" } });

        var viaPath = _ml.Transforms.EmbedGalleryImages(fixture.Model, inputColumnName: nameof(ImageRow.Path), imageFolder: _folder.FullPath)
            .Fit(rows).Transform(rows);
        var pathError = Assert.Throws<InvalidDataException>(() => DataViewColumns.Vectors(viaPath, "ImageEmbedding"));
        Assert.Contains("Row 1, gallery image column 'Path'", pathError.Message);
        Assert.Contains(Path.Combine(_folder.FullPath, "broken.png"), pathError.Message);

        var viaLoadImages = _ml.Transforms.LoadImages("Image", _folder.FullPath, nameof(ImageRow.Path))
            .Append(_ml.Transforms.EmbedGalleryImages(fixture.Model, inputColumnName: "Image")).Fit(rows).Transform(rows);
        var loadError = Assert.Throws<InvalidDataException>(() => DataViewColumns.Vectors(viaLoadImages, "ImageEmbedding"));
        // ML.NET's LoadImages does not say which file it failed on (nor can a later transform find out through its
        // public API): the row and the column are named, and ML.NET's reason kept.
        Assert.Contains("Row 1, gallery image column 'Image'", loadError.Message);
        Assert.Contains("Invalid input stream contents", loadError.Message);
    }

    private sealed class ImageRow
    {
        public string Path { get; set; } = "";
    }
}
