using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.ComposedRetrieval.Experiment;

/// <summary>The loaded dataset's views, with the queries read back for the example grid and the counts for the reports.</summary>
internal sealed record ExperimentData(string Name, CompositionDatasetViews Views, int TrainTripletCount,
    IReadOnlyList<GridQueryRow> Queries, int GalleryCount)
{
    public static ExperimentData Read(MLContext mlContext, CompositionDatasetViews views)
    {
        int triplets = mlContext.Data.CreateEnumerable<GridQueryRow>(views.Triplets, reuseRowObject: true).Count();
        var queries = mlContext.Data.CreateEnumerable<GridQueryRow>(views.Queries, reuseRowObject: false).ToList();
        int gallery = views.Gallery.GetColumn<string>(CompositionDataCatalog.GalleryImageColumnName).Count();
        return new ExperimentData(views.Name, views, triplets, queries, gallery);
    }
}

/// <summary>A query (or triplet) row of the public loaders: full image paths, targets ';'-separated.</summary>
internal sealed class GridQueryRow
{
    public string ReferenceImage { get; set; } = "";
    public string ModificationText { get; set; } = "";
    public string TargetImage { get; set; } = "";

    public IReadOnlyList<string> TargetImages => TargetImage.Split(';');
}
