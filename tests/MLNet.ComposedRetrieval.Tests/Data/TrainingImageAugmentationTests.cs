using MLNet.ComposedRetrieval.Data;

namespace MLNet.ComposedRetrieval.Tests.Data;

public class TrainingImageAugmentationTests
{
    [Fact]
    public void CropsStayInsideTheImageWithAreaAndRatioInRange()
    {
        var augmentation = new TrainingImageAugmentation(seed: 1);
        int drawn = 0;
        for (int i = 0; i < 500; i++)
        {
            var crop = augmentation.NextCrop(200, 160);
            Assert.True(crop.Left >= 0 && crop.Top >= 0 && crop.Right <= 200 && crop.Bottom <= 160, $"crop {crop} leaves the image");
            double ratio = (double)crop.Width / crop.Height;
            double share = (double)crop.Width * crop.Height / (200 * 160);
            bool fallback = crop.Width == 200 && crop.Height == 160;
            if (!fallback)
            {
                drawn++;
                // Rounding to whole pixels moves area and ratio slightly outside the drawn ranges.
                Assert.InRange(share, 0.74, 1.0);
                Assert.InRange(ratio, 0.74, 1.34);
            }
        }
        Assert.True(drawn > 300, $"only {drawn} of 500 crops were drawn rather than the fallback");
    }

    [Fact]
    public void FallbackIsACentralCropClampedToTheRatioRange()
    {
        // A 10:1 strip: no draw fits, so the fallback keeps the full height and 4/3 of it as width.
        var augmentation = new TrainingImageAugmentation(seed: 3);
        var crop = augmentation.NextCrop(1000, 100);
        Assert.Equal((433, 0, 133, 100), (crop.Left, crop.Top, crop.Width, crop.Height));
    }

    [Fact]
    public void SameSeedSameImagesAndRoughlyHalfAreFlipped()
    {
        var image = ImageDecodingTests.Gradient(60, 80);
        var a = new TrainingImageAugmentation(seed: 42, width: 32, height: 32);
        var b = new TrainingImageAugmentation(seed: 42, width: 32, height: 32);
        for (int i = 0; i < 20; i++) Assert.Equal(a.Apply(image).Rgb, b.Apply(image).Rgb);

        // The gradient's red channel rises left to right; a flipped crop's falls.
        var flips = new TrainingImageAugmentation(seed: 7, width: 32, height: 32);
        int flipped = Enumerable.Range(0, 200).Count(_ =>
        {
            var output = flips.Apply(image);
            return output.Rgb[0] > output.Rgb[31 * 3];
        });
        Assert.InRange(flipped, 70, 130);
    }
}
