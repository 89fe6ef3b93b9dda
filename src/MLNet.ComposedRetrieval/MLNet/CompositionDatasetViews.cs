using Microsoft.ML;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// The three parts of one dataset read by <c>mlContext.Data.LoadCompositionDataset(folder, options)</c>, in the columns
/// of <see cref="CompositionDataCatalog"/> (full image paths).
/// </summary>
public sealed class CompositionDatasetViews
{
    internal CompositionDatasetViews(string name, IDataView triplets, IDataView queries, IDataView gallery, string imageCheck)
    {
        Name = name;
        Triplets = triplets;
        Queries = queries;
        Gallery = gallery;
        ImageCheck = imageCheck;
    }

    /// <summary>The dataset's name; a subset says so.</summary>
    public string Name { get; }

    /// <summary>Training triplets: <c>ReferenceImage</c>, <c>ModificationText</c>, <c>TargetImage</c>.</summary>
    public IDataView Triplets { get; }

    /// <summary>Evaluation queries: <c>ReferenceImage</c>, <c>ModificationText</c>, <c>TargetImage</c> (';'-separated targets).</summary>
    public IDataView Queries { get; }

    /// <summary>The evaluation gallery: <c>Image</c>.</summary>
    public IDataView Gallery { get; }

    /// <summary>One line on the image files: how many were checked, and what was missing and dropped.</summary>
    public string ImageCheck { get; }
}
