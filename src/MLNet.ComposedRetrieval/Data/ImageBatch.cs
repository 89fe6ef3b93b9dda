using System.Runtime.InteropServices;
using static TorchSharp.torch;
using MLNet.ComposedRetrieval.Modeling;

namespace MLNet.ComposedRetrieval.Data;

/// <summary>
/// The one path from images to a backbone's input: decode (<see cref="ImageDecoder"/>), bring to the input size
/// (plain resize, or <see cref="TrainingImageAugmentation"/> when training), then apply an
/// <see cref="ImagePreprocessing"/> into a float32 [B, 3, H, W] CPU tensor. Training, inference, the feature cache
/// and the ONNX parity test all go through here, so they see identical pixels.
/// </summary>
internal static class ImageBatch
{
    /// <summary>Decodes, sizes and converts image files. <paramref name="augmentation"/> (training only) replaces
    /// the plain resize; its output size must be the preprocessing size.</summary>
    public static Tensor FromFiles(IReadOnlyList<string> paths, ImagePreprocessing preprocessing,
        TrainingImageAugmentation? augmentation = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var images = new RgbImage[paths.Count];
        for (int i = 0; i < images.Length; i++)
            images[i] = Prepare(ImageDecoder.Decode(paths[i]), preprocessing, augmentation);
        return FromImages(images, preprocessing);
    }

    /// <summary>Brings one decoded image to the preprocessing size: the augmentation's random crop when given,
    /// else a plain resize (docs/method.md: evaluation resizes straight to 224 x 224).</summary>
    public static RgbImage Prepare(RgbImage image, ImagePreprocessing preprocessing, TrainingImageAugmentation? augmentation = null)
    {
        if (augmentation is null) return ImageResizing.Resize(image, preprocessing.Width, preprocessing.Height);
        if (augmentation.Width != preprocessing.Width || augmentation.Height != preprocessing.Height)
            throw new ArgumentException(
                $"Augmentation output {augmentation.Width} x {augmentation.Height} differs from the preprocessing size " +
                $"{preprocessing.Width} x {preprocessing.Height}.", nameof(augmentation));
        return augmentation.Apply(image);
    }

    /// <summary>Converts decoded images (resized first if they are not at the preprocessing size) into one
    /// float32 [B, 3, H, W] tensor, written in place in the tensor's memory.</summary>
    public static Tensor FromImages(IReadOnlyList<RgbImage> images, ImagePreprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(images);
        preprocessing.Validate();
        int planeSize = preprocessing.Width * preprocessing.Height;
        var batch = empty(images.Count, 3, preprocessing.Height, preprocessing.Width, ScalarType.Float32);
        var values = MemoryMarshal.Cast<byte, float>(batch.bytes);
        for (int i = 0; i < images.Count; i++)
        {
            var image = Prepare(images[i], preprocessing);
            WriteChannels(image, preprocessing, values.Slice(i * 3 * planeSize, 3 * planeSize));
        }
        return batch;
    }

    /// <summary>Writes one image of the preprocessing size as [3, H, W]: (pixel * Scale - mean) / Std, where mean is
    /// the mean image's value at that pixel or the channel mean. Divides (not multiplies by 1/Std) as torchvision.</summary>
    internal static unsafe void WriteChannels(RgbImage image, ImagePreprocessing preprocessing, Span<float> target)
    {
        int planeSize = preprocessing.Width * preprocessing.Height;
        if (image.Width != preprocessing.Width || image.Height != preprocessing.Height)
            throw new ArgumentException(
                $"Image is {image.Width} x {image.Height}, preprocessing expects {preprocessing.Width} x {preprocessing.Height}.");
        if (target.Length < 3 * planeSize)
            throw new ArgumentException($"A target of {target.Length} values cannot hold 3 x {planeSize}.", nameof(target));
        float scale = preprocessing.Scale;
        // With a channel mean the value depends on the byte only: a 256-entry table per channel, computed with the same
        // float operations, gives the same values without a division per pixel.
        var table = stackalloc float[256];
        fixed (byte* rgb = image.Rgb)
        fixed (float* values = target)
        {
            for (int channel = 0; channel < 3; channel++)
            {
                int sourceChannel = preprocessing.Bgr ? 2 - channel : channel;
                float std = preprocessing.Std[channel];
                float* plane = values + channel * planeSize;
                byte* source = rgb + sourceChannel;
                if (preprocessing.MeanImage is { } meanImage)
                {
                    ReadOnlySpan<float> meanPlane = meanImage.AsSpan(channel * planeSize, planeSize);
                    for (int p = 0; p < planeSize; p++)
                        plane[p] = (source[3 * p] * scale - meanPlane[p]) / std;
                }
                else
                {
                    float mean = preprocessing.Mean[channel];
                    for (int v = 0; v < 256; v++)
                        table[v] = (v * scale - mean) / std;
                    for (int p = 0; p < planeSize; p++)
                        plane[p] = table[source[3 * p]];
                }
            }
        }
    }
}
