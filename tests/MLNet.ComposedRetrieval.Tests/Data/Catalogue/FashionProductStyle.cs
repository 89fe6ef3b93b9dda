using MLNet.ComposedRetrieval.Data;

namespace MLNet.ComposedRetrieval.Tests.Data.Catalogue;

/// <summary>One row of the fashion-product catalogue's <c>styles.csv</c>.</summary>
/// <param name="Id">The product id; its image is <c>images/&lt;id&gt;.jpg</c>.</param>
/// <param name="Gender">For example "Men".</param>
/// <param name="MasterCategory">For example "Apparel".</param>
/// <param name="SubCategory">For example "Topwear".</param>
/// <param name="ArticleType">For example "Tshirts".</param>
/// <param name="BaseColour">For example "Blue".</param>
/// <param name="Season">For example "Summer".</param>
/// <param name="Year">The catalogue year, or null when the field is empty.</param>
/// <param name="Usage">For example "Casual".</param>
/// <param name="ProductDisplayName">The title, which may contain commas.</param>
internal sealed record FashionProductStyle(
    string Id,
    string Gender,
    string MasterCategory,
    string SubCategory,
    string ArticleType,
    string BaseColour,
    string Season,
    int? Year,
    string Usage,
    string ProductDisplayName)
{
    /// <summary>The product for <see cref="CatalogueTripletBuilder"/>, its image named by <paramref name="imagePattern"/>.</summary>
    public CatalogueProduct ToProduct(string imagePattern = "{id}.jpg") =>
        new(Id, imagePattern.Replace(ImageLocator.IdPlaceholder, Id, StringComparison.Ordinal), ProductDisplayName);
}
