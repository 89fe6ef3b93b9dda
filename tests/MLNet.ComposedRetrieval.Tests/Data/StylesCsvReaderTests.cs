using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Tests.Infrastructure;

using MLNet.ComposedRetrieval.Tests.Data.Catalogue;

namespace MLNet.ComposedRetrieval.Tests.Data;

public class StylesCsvReaderTests
{
    [Fact]
    public void ReadsTenFieldsKeepingCommasInTheTitle()
    {
        var styles = StylesCsvReader.Read(DataFixtures.Path("fashion-product", "styles.csv"));

        Assert.Equal(13, styles.Count);
        var pack = styles.Single(s => s.Id == "6");
        Assert.Equal("Nike Men Black T-Shirt, Pack of 2", pack.ProductDisplayName);
        Assert.Equal(("Men", "Apparel", "Topwear", "Tshirts", "Black", "Fall", 2013, "Casual"),
            (pack.Gender, pack.MasterCategory, pack.SubCategory, pack.ArticleType, pack.BaseColour, pack.Season, pack.Year, pack.Usage));
        Assert.Null(styles.Single(s => s.Id == "8").Year);
        Assert.Equal(new CatalogueProduct("6", "6.jpg", "Nike Men Black T-Shirt, Pack of 2"), pack.ToProduct());
    }

    [Fact]
    public void AShortLineIsNamed()
    {
        var path = DataFixtures.Malformed("styles.short-line.csv");
        var e = Assert.Throws<AnnotationFormatException>(() => StylesCsvReader.Read(path));
        Assert.Equal(3, e.LineNumber);
        Assert.Contains("expected 10 fields separated by ','", e.Message);
        Assert.Contains("found 9", e.Message);
    }

    [Fact]
    public void ABadYearIsNamed()
    {
        var e = Assert.Throws<AnnotationFormatException>(() => StylesCsvReader.Read(DataFixtures.Malformed("styles.bad-year.csv")));
        Assert.Equal(2, e.LineNumber);
        Assert.Contains("found \"twenty\"", e.Message);
    }

    [SkippableFact]
    public void RealCatalogueHasEveryProduct()
    {
        var path = SharedData.Require("datasets/fashion-product-images/styles.csv");
        var styles = StylesCsvReader.Read(path);
        Assert.Equal(35_332, styles.Count);
        Assert.Equal("Nike Sahara Team India Fanwear Round Neck Jersey", styles[0].ProductDisplayName);
        Assert.All(styles, s => Assert.False(string.IsNullOrWhiteSpace(s.ProductDisplayName)));
    }
}
