using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using MLNet.ComposedRetrieval.Tests.Data.Synthetic;
using SkiaSharp;

namespace MLNet.ComposedRetrieval.Tests.Pipeline;

/// <summary>The synthetic shapes task (32 x 32 images) as ML.NET rows: MLImage columns, or PNG files with path columns.</summary>
internal static class SyntheticRows
{
    public const int ImageSize = 32;

    public static SyntheticShapesTask Task { get; } = SyntheticShapesTask.Create(trainTriplets: 640, queries: 64, imageSize: ImageSize, seed: 7);

    /// <summary>Options for small encoders that train in about a second.</summary>
    public static ComposeImageTextEstimator.Options QuickOptions(int epochs = 1, int? tripletsPerEpoch = null) => new()
    {
        ImageEncoder = ImageEncoderArchitecture.SmallConvNet,
        TextEncoder = TextEncoderArchitecture.SmallTransformer,
        SmallImageEncoderInputSize = ImageSize,
        EmbeddingDimension = 32,
        Epochs = epochs,
        BatchSize = 32,
        LearningRate = 0.05,
        WarmupEpochs = 0,
        TripletsPerEpoch = tripletsPerEpoch,
        TextEncoderLearningRateMultiplier = 1,
        AugmentImages = false,
        Seed = 5,
    };

    public static MLImage Image(int id)
    {
        var rgb = Task.Images[id];
        var rgba = new byte[ImageSize * ImageSize * 4];
        for (int p = 0, s = 0; p < rgba.Length; p += 4, s += 3)
        {
            rgba[p] = rgb[s];
            rgba[p + 1] = rgb[s + 1];
            rgba[p + 2] = rgb[s + 2];
            rgba[p + 3] = 255;
        }
        return MLImage.CreateFromPixels(ImageSize, ImageSize, MLPixelFormat.Rgba32, rgba);
    }

    /// <summary>Triplet rows with MLImage columns, a row number and the image ids as text.</summary>
    public static IDataView Triplets(MLContext ml, IEnumerable<SyntheticTriplet> triplets) =>
        ml.Data.LoadFromEnumerable(triplets.Select((t, i) => new TripletRow
        {
            RowNumber = i,
            ReferenceImage = Image(t.Reference),
            ModificationText = t.Text,
            TargetImage = Image(t.Target),
            ReferenceImageId = t.Reference.ToString(),
            TargetImageIds = t.Target.ToString(),
        }).ToList());

    /// <summary>Gallery rows (every image of the task) with MLImage column "Image" and id column "ImageId".</summary>
    public static IDataView Gallery(MLContext ml) =>
        ml.Data.LoadFromEnumerable(Enumerable.Range(0, Task.Images.Count)
            .Select(i => new GalleryRow { ImageId = i.ToString(), Image = Image(i) }).ToList());

    /// <summary>Writes every image of the task as <c>{id}.png</c> into <paramref name="folder"/>.</summary>
    public static void WritePngs(string folder) => WritePngs(folder, Enumerable.Range(0, Task.Images.Count));

    /// <summary>Writes the images <paramref name="ids"/> of the task as <c>{id}.png</c> into <paramref name="folder"/>.</summary>
    public static void WritePngs(string folder, IEnumerable<int> ids)
    {
        foreach (var id in ids)
        {
            using var image = Image(id);
            using var bitmap = new SKBitmap(new SKImageInfo(ImageSize, ImageSize, SKColorType.Rgba8888, SKAlphaType.Unpremul));
            System.Runtime.InteropServices.Marshal.Copy(image.Pixels.ToArray(), 0, bitmap.GetPixels(), image.Pixels.Length);
            using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(Path.Combine(folder, $"{id}.png"), data.ToArray());
        }
    }

    /// <summary>The task's images as PNGs in <c>images/</c> under <paramref name="folder"/>, <paramref name="model"/> saved
    /// beside them, and a cache folder: what a folder gallery needs.</summary>
    public static (GalleryFolder Gallery, string ModelPath, string CacheFolder) WriteGalleryFolder(string folder, ComposeImageTextTransformer model)
    {
        var images = Directory.CreateDirectory(Path.Combine(folder, "images")).FullName;
        WritePngs(images);
        var modelPath = Path.Combine(folder, "model.mlcr");
        model.Save(modelPath);
        return (GalleryFolder.Open(images), modelPath, Path.Combine(folder, "cache"));
    }

    /// <summary>Triplet rows with path columns (<c>{id}.png</c>, relative to the PNG folder).</summary>
    public static IDataView PathTriplets(MLContext ml, IEnumerable<SyntheticTriplet> triplets) =>
        ml.Data.LoadFromEnumerable(triplets.Select(t => new PathTripletRow
        {
            ReferencePath = $"{t.Reference}.png", ModificationText = t.Text, TargetPath = $"{t.Target}.png",
        }).ToList());

    public sealed class TripletRow
    {
        public int RowNumber { get; set; }

        [ImageType(ImageSize, ImageSize)]
        public MLImage ReferenceImage { get; set; } = null!;

        public string ModificationText { get; set; } = "";

        [ImageType(ImageSize, ImageSize)]
        public MLImage TargetImage { get; set; } = null!;

        public string ReferenceImageId { get; set; } = "";

        public string TargetImageIds { get; set; } = "";
    }

    public sealed class GalleryRow
    {
        public string ImageId { get; set; } = "";

        [ImageType(ImageSize, ImageSize)]
        public MLImage Image { get; set; } = null!;
    }

    public sealed class PathTripletRow
    {
        public string ReferencePath { get; set; } = "";
        public string ModificationText { get; set; } = "";
        public string TargetPath { get; set; } = "";
    }
}
