using SkiaSharp;
using MLNet.ComposedRetrieval.Modeling;

namespace MLNet.ComposedRetrieval.Data;

/// <summary>
/// The training-image augmentation of the paper's code (docs/method.md "Training"): torchvision's
/// <c>RandomResizedCrop(224, scale=(0.75, 1.33))</c> followed by <c>RandomHorizontalFlip()</c>. Normalisation is
/// not part of it: <see cref="ImageBatch"/> applies the backbone's <see cref="ImagePreprocessing"/> afterwards.
/// Draws come from one seeded generator, so a run is reproducible; not thread-safe.
/// </summary>
internal sealed class TrainingImageAugmentation
{
    private const int CropAttempts = 10;
    private readonly Random _random;

    /// <param name="seed">Seeds the crop and flip draws.</param>
    /// <param name="width">Output width (the backbone's input width).</param>
    /// <param name="height">Output height.</param>
    public TrainingImageAugmentation(int seed, int width = 224, int height = 224)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        _random = new Random(seed);
        Width = width;
        Height = height;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Range of the crop's area as a share of the image's (the paper's code: 0.75 to 1.33).</summary>
    public (double Min, double Max) Scale { get; init; } = (0.75, 1.33);

    /// <summary>Range of the crop's width / height (torchvision's default 3/4 to 4/3).</summary>
    public (double Min, double Max) AspectRatio { get; init; } = (3.0 / 4.0, 4.0 / 3.0);

    public double FlipProbability { get; init; } = 0.5;

    /// <summary>A random crop of <paramref name="image"/> stretched to <see cref="Width"/> x <see cref="Height"/>,
    /// mirrored with probability <see cref="FlipProbability"/>.</summary>
    public RgbImage Apply(RgbImage image)
    {
        var crop = ImageResizing.ResizeRegion(image, NextCrop(image.Width, image.Height), Width, Height);
        return _random.NextDouble() < FlipProbability ? crop.FlipHorizontally() : crop;
    }

    /// <summary>torchvision's <c>RandomResizedCrop.get_params</c>: up to 10 draws of area and log-uniform aspect
    /// ratio that fit, else a central crop clamped to the ratio range. Python rounds half to even, as Math.Round.</summary>
    internal SKRectI NextCrop(int width, int height)
    {
        double area = (double)width * height;
        double logMin = Math.Log(AspectRatio.Min), logMax = Math.Log(AspectRatio.Max);
        for (int attempt = 0; attempt < CropAttempts; attempt++)
        {
            double targetArea = area * Uniform(Scale.Min, Scale.Max);
            double ratio = Math.Exp(Uniform(logMin, logMax));
            int w = (int)Math.Round(Math.Sqrt(targetArea * ratio));
            int h = (int)Math.Round(Math.Sqrt(targetArea / ratio));
            if (w > 0 && w <= width && h > 0 && h <= height)
            {
                int top = _random.Next(0, height - h + 1);
                int left = _random.Next(0, width - w + 1);
                return SKRectI.Create(left, top, w, h);
            }
        }

        double inRatio = (double)width / height;
        int cropWidth = width, cropHeight = height;
        if (inRatio < AspectRatio.Min) cropHeight = (int)Math.Round(width / AspectRatio.Min);
        else if (inRatio > AspectRatio.Max) cropWidth = (int)Math.Round(height * AspectRatio.Max);
        return SKRectI.Create((width - cropWidth) / 2, (height - cropHeight) / 2, cropWidth, cropHeight);
    }

    private double Uniform(double min, double max) => min + (max - min) * _random.NextDouble();
}
