using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Tests.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;
using MLNet.ComposedRetrieval.Modeling;

namespace MLNet.ComposedRetrieval.Tests.Data;

public class ImageBatchTests
{
    [Fact]
    public void ImageNetNormalisationIsAppliedPerChannelInRgbOrder()
    {
        var image = ImageDecodingTests.Gradient(4, 3);
        var preprocessing = ImagePreprocessing.ImageNet224 with { Width = 4, Height = 3 };
        using var batch = ImageBatch.FromImages([image], preprocessing);
        Assert.Equal(new long[] { 1, 3, 3, 4 }, batch.shape);
        var values = batch.data<float>().ToArray();
        for (int c = 0; c < 3; c++)
            for (int p = 0; p < 12; p++)
            {
                float expected = (image.Rgb[p * 3 + c] * (1f / 255f) - preprocessing.Mean[c]) / preprocessing.Std[c];
                Assert.Equal(expected, values[c * 12 + p]);
            }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EveryByteValueGivesExactlyTheFormulasFloat(bool bgr)
    {
        // 16 x 16 pixels: each channel takes all 256 byte values, in a different order per channel and per image.
        RgbImage Image(int shift) => new(16, 16, Enumerable.Range(0, 256)
            .SelectMany(p => new[] { (byte)(p + shift), (byte)(255 - p), (byte)(p * 7 + shift) }).ToArray());
        var images = new[] { Image(0), Image(101) };
        var preprocessing = ImagePreprocessing.ImageNet224 with { Width = 16, Height = 16, Bgr = bgr };
        using var batch = ImageBatch.FromImages(images, preprocessing);
        var values = batch.data<float>().ToArray();
        for (int b = 0; b < 2; b++)
            for (int c = 0; c < 3; c++)
                for (int p = 0; p < 256; p++)
                {
                    float expected = (images[b].Rgb[p * 3 + (bgr ? 2 - c : c)] * preprocessing.Scale - preprocessing.Mean[c]) / preprocessing.Std[c];
                    Assert.Equal(expected, values[(b * 3 + c) * 256 + p]);
                }
    }

    [Fact]
    public void MeanImageIsSubtractedPerPixelAfterTheBgrReorder()
    {
        var image = ImageDecodingTests.Gradient(2, 2);
        var meanImage = Enumerable.Range(0, 12).Select(i => i * 0.5f).ToArray();
        var preprocessing = new ImagePreprocessing(2, 2, Bgr: true, Scale: 1f, Mean: [0, 0, 0], Std: [1, 1, 1], "test-mean", meanImage);
        using var batch = ImageBatch.FromImages([image, image], preprocessing);
        var values = batch.data<float>().ToArray();
        for (int b = 0; b < 2; b++)
            for (int c = 0; c < 3; c++)
                for (int p = 0; p < 4; p++)
                    Assert.Equal(image.Rgb[p * 3 + (2 - c)] - meanImage[c * 4 + p], values[b * 12 + c * 4 + p]);
    }

    [Fact]
    public void ImagesOfAnotherSizeAreResizedFirst()
    {
        var preprocessing = ImagePreprocessing.ImageNet224 with { Width = 32, Height = 24 };
        using var batch = ImageBatch.FromImages([ImageDecodingTests.Gradient(6, 8), ImageDecodingTests.Gradient(50, 5)], preprocessing);
        Assert.Equal(new long[] { 2, 3, 24, 32 }, batch.shape);
        Assert.Equal(ScalarType.Float32, batch.dtype);
    }

    [Fact]
    public void InconsistentPreprocessingIsRejectedByName()
    {
        var noValues = new ImagePreprocessing(2, 2, false, 1f, [0, 0, 0], [1, 1, 1], MeanImageKey: "key-without-values");
        Assert.Contains("MeanImage", Assert.Throws<ArgumentException>(() => ImageBatch.FromImages([ImageDecodingTests.Gradient(2, 2)], noValues)).Message);
        var wrongSize = noValues with { MeanImage = new float[5] };
        Assert.Contains("key-without-values", Assert.Throws<ArgumentException>(() => ImageBatch.FromImages([ImageDecodingTests.Gradient(2, 2)], wrongSize)).Message);
        var zeroStd = ImagePreprocessing.ImageNet224 with { Std = [1, 0, 1] };
        Assert.Throws<ArgumentException>(() => ImageBatch.FromImages([ImageDecodingTests.Gradient(2, 2)], zeroStd));
    }

    [SkippableFact]
    public void FilesGoThroughDecodeResizeAndNormalise()
    {
        var folder = SharedData.Require("datasets/fashion-product-images/images");
        var paths = Directory.EnumerateFiles(folder, "*.jpg").Order(StringComparer.Ordinal).Take(3).ToList();
        using var scope = NewDisposeScope();
        var batch = ImageBatch.FromFiles(paths, ImagePreprocessing.ImageNet224);
        Assert.Equal(new long[] { 3, 3, 224, 224 }, batch.shape);
        var viaImages = ImageBatch.FromImages(paths.Select(ImageDecoder.Decode).ToList(), ImagePreprocessing.ImageNet224);
        Assert.True(batch.equal(viaImages).all().item<bool>());
        // ImageNet-normalised photos stay within [(0 - 0.485) / 0.229, (1 - 0.406) / 0.225].
        Assert.InRange(batch.min().item<float>(), -2.12f, 2.7f);
        Assert.InRange(batch.max().item<float>(), -2.12f, 2.7f);
    }

    [SkippableFact]
    public void AugmentedFilesAreReproducibleForASeed()
    {
        var folder = SharedData.Require("datasets/fashion-product-images/images");
        var paths = Directory.EnumerateFiles(folder, "*.jpg").Order(StringComparer.Ordinal).Take(4).ToList();
        using var scope = NewDisposeScope();
        var first = ImageBatch.FromFiles(paths, ImagePreprocessing.ImageNet224, new TrainingImageAugmentation(seed: 5));
        var again = ImageBatch.FromFiles(paths, ImagePreprocessing.ImageNet224, new TrainingImageAugmentation(seed: 5));
        var other = ImageBatch.FromFiles(paths, ImagePreprocessing.ImageNet224, new TrainingImageAugmentation(seed: 6));
        Assert.True(first.equal(again).all().item<bool>());
        Assert.False(first.equal(other).all().item<bool>());
        Assert.Throws<ArgumentException>(() =>
            ImageBatch.FromFiles(paths, ImagePreprocessing.ImageNet224, new TrainingImageAugmentation(seed: 5, width: 200, height: 200)));
    }
}
