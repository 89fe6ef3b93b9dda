using Microsoft.ML.Data;

namespace FashionProductSearch;

/// <summary>A line of triplets.train.tsv: reference image, modification text, target image (paths under images/).</summary>
public sealed class TripletRow
{
    [LoadColumn(0)] public string ReferencePath { get; set; } = "";
    [LoadColumn(1)] public string ModificationText { get; set; } = "";
    [LoadColumn(2)] public string TargetPath { get; set; } = "";
}

/// <summary>A line of queries.val.tsv: reference image, modification text, every correct target (';'-separated).</summary>
public sealed class QueryRow
{
    [LoadColumn(0)] public string ReferencePath { get; set; } = "";
    [LoadColumn(1)] public string ModificationText { get; set; } = "";
    [LoadColumn(2)] public string TargetImages { get; set; } = "";
}

/// <summary>A line of split.val.tsv: a product id; its image is images/{id}.jpg.</summary>
public sealed class SplitRow
{
    [LoadColumn(0)] public string ProductId { get; set; } = "";
}

/// <summary>The gallery id: the image's path under images/, as the query files name images.</summary>
public sealed class GalleryIdRow
{
    public string ImageId { get; set; } = "";
}
