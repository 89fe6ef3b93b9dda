namespace MLNet.ComposedRetrieval.Data;

/// <summary>
/// File names of a dataset in the generic triplet/query TSV format, relative to its folder. The defaults are
/// the layout of <c>datasets/fashion-product-images</c>; see <see cref="TripletTsvReader"/> for the formats.
/// </summary>
internal sealed record TripletTsvLayout
{
    /// <summary>The layout of <c>datasets/fashion-product-images</c>.</summary>
    public static TripletTsvLayout FashionProductImages { get; } = new();

    /// <summary>A name for messages.</summary>
    public string Name { get; init; } = "fashion-product-images";

    /// <summary>The training triplets (<c>reference_image, modification_text, target_image</c>).</summary>
    public string TrainTripletsFile { get; init; } = "triplets.train.tsv";

    /// <summary>The evaluation queries (<c>reference_image, modification_text, target_images</c>).</summary>
    public string QueriesFile { get; init; } = "queries.val.tsv";

    /// <summary>The gallery: one image id per line under the header <c>image_id</c> (every image of the split).</summary>
    public string GalleryFile { get; init; } = "split.val.tsv";

    /// <summary>How a gallery id becomes the image name used by the triplet and query files.</summary>
    public string GalleryImagePattern { get; init; } = "{id}.jpg";

    /// <summary>The folder that triplet and query image names are relative to.</summary>
    public string ImageFolder { get; init; } = "images";
}
