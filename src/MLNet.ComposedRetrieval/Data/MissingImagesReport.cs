using System.Globalization;
using System.Text;

namespace MLNet.ComposedRetrieval.Data;

/// <summary>
/// The result of checking that every image a <see cref="CompositionDataset"/> names has a readable, non-empty
/// file: how many were checked, which are missing (all of them, and a few examples for messages) and, after
/// <see cref="MissingImagePolicy.Drop"/>, how much of the dataset was removed because of them. Missing images are
/// never dropped silently: this report is the record of it.
/// </summary>
internal sealed class MissingImagesReport
{
    /// <summary>Creates a report.</summary>
    public MissingImagesReport(
        string datasetName,
        ImageLocator images,
        int checkedImageCount,
        IReadOnlyList<MissingImage> missingImages,
        int maxExamples = 5)
    {
        ArgumentNullException.ThrowIfNull(datasetName);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(missingImages);
        ArgumentOutOfRangeException.ThrowIfNegative(maxExamples);
        DatasetName = datasetName;
        Images = images;
        CheckedImageCount = checkedImageCount;
        MissingImages = missingImages.ToArray();
        Examples = MissingImages.Take(maxExamples).ToArray();
    }

    /// <summary>The dataset that was checked.</summary>
    public string DatasetName { get; }

    /// <summary>Where the images were looked for.</summary>
    public ImageLocator Images { get; }

    /// <summary>How many distinct images the dataset names.</summary>
    public int CheckedImageCount { get; }

    /// <summary>Every image that is missing or unreadable, in the order the dataset first names them.</summary>
    public IReadOnlyList<MissingImage> MissingImages { get; }

    /// <summary>How many images are missing or unreadable.</summary>
    public int MissingCount => MissingImages.Count;

    /// <summary>Whether any image is missing or unreadable.</summary>
    public bool HasMissing => MissingImages.Count > 0;

    /// <summary>The first few missing images, for messages.</summary>
    public IReadOnlyList<MissingImage> Examples { get; }

    /// <summary>Training triplets removed by <see cref="MissingImagePolicy.Drop"/>.</summary>
    public int DroppedTriplets { get; init; }

    /// <summary>Evaluation queries removed (reference missing, or every target missing).</summary>
    public int DroppedQueries { get; init; }

    /// <summary>Targets removed from queries that kept at least one target.</summary>
    public int DroppedQueryTargets { get; init; }

    /// <summary>Gallery images removed.</summary>
    public int DroppedGalleryImages { get; init; }

    /// <summary>Throws a <see cref="MissingImagesException"/> when any image is missing.</summary>
    public void ThrowIfAny()
    {
        if (HasMissing) throw new MissingImagesException(this);
    }

    /// <summary>One paragraph: counts, example paths with reasons, and what was dropped.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{DatasetName}: ");
        if (!HasMissing)
            return text.Append(CultureInfo.InvariantCulture, $"all {CheckedImageCount} images are present under {Images}.").ToString();

        text.Append(CultureInfo.InvariantCulture,
            $"{MissingCount} of {CheckedImageCount} images are missing or unreadable (looked for {Images}); for example ");
        text.Append(string.Join(", ", Examples.Select(m => $"{m.Path} ({m.Reason})")));
        text.Append('.');
        if (DroppedTriplets + DroppedQueries + DroppedQueryTargets + DroppedGalleryImages > 0)
        {
            text.Append(CultureInfo.InvariantCulture,
                $" Dropped {DroppedTriplets} training triplets, {DroppedQueries} queries, {DroppedQueryTargets} query targets " +
                $"and {DroppedGalleryImages} gallery images.");
        }
        return text.ToString();
    }
}
