using MLNet.ComposedRetrieval.Data;

using MLNet.ComposedRetrieval.Tests.Data.Catalogue;

namespace MLNet.ComposedRetrieval.Tests.Data;

public class CatalogueTripletBuilderTests
{
    private static readonly string Fixture = DataFixtures.Path("fashion-product");

    private static IReadOnlyList<CatalogueProduct> FixtureSplit(string split)
    {
        var ids = TripletTsvReader.ReadImageList(Path.Combine(Fixture, $"split.{split}.tsv")).ToHashSet();
        return StylesCsvReader.Read(Path.Combine(Fixture, "styles.csv")).Select(s => s.ToProduct()).Where(p => ids.Contains(p.Id)).ToArray();
    }

    [Theory]
    [InlineData("Nike Men Black T-Shirt", "nike men black t shirt")]
    [InlineData("  18+ Men  Dare Deo!! ", "18 men dare deo")]
    [InlineData("109F Women Blue & Grey Printed Tunic", "109f women blue grey printed tunic")]
    [InlineData("Café", "caf")]
    [InlineData("--", "")]
    public void NormalisesTitles(string title, string expected) =>
        Assert.Equal(expected, CatalogueTripletBuilder.NormaliseTitle(title));

    [Fact]
    public void BuildsTheFixtureTripletFileLineForLine()
    {
        var builder = new CatalogueTripletBuilder(FixtureSplit("train"));
        var expected = TripletTsvReader.ReadTriplets(Path.Combine(Fixture, "triplets.train.tsv"));

        // Covers: the first image of a target title by numeric id (2 before 12), identical titles sharing a target,
        // "90"/"95" (not alphabetic) and two-word differences giving nothing.
        Assert.Equal(expected, builder.BuildTriplets());
        Assert.Equal(7, builder.TitleCount);
        Assert.Equal(6, builder.NeighbourPairCount);
    }

    [Fact]
    public void QueriesTargetEveryImageOfTheTargetTitle()
    {
        var builder = new CatalogueTripletBuilder(FixtureSplit("val"));
        var expected = TripletTsvReader.ReadQueries(Path.Combine(Fixture, "queries.val.tsv"));

        Assert.Equal(expected.ToHashSet(), builder.BuildQueries(seed: 3).ToHashSet());
        Assert.Equal(expected.ToHashSet(), builder.BuildAllQueries().ToHashSet());
        Assert.Equal(["4.jpg", "6.jpg", "13.jpg", "14.jpg", "15.jpg"], builder.GalleryImageIds);
    }

    [Fact]
    public void SamplingFollowsTheSeedOnly()
    {
        var products = new List<CatalogueProduct>();
        var colours = new[] { "red", "blue", "green", "black", "white", "pink" };
        for (var i = 0; i < 60; i++) products.Add(new($"{i}", $"{i}.jpg", $"Brand {colours[i % 6]} shirt"));
        var builder = new CatalogueTripletBuilder(products);
        var shuffled = new CatalogueTripletBuilder(products.AsEnumerable().Reverse());

        var a = builder.BuildQueries(seed: 7);
        Assert.Equal(60, a.Count);
        Assert.Equal(a, builder.BuildQueries(seed: 7));
        Assert.Equal(a, shuffled.BuildQueries(seed: 7));          // input order does not matter
        Assert.NotEqual(a, builder.BuildQueries(seed: 8));
        Assert.Equal(builder.BuildTriplets(), shuffled.BuildTriplets());
        Assert.Equal(60 * 5, builder.BuildAllQueries().Count);   // each image with the 5 other colours
        Assert.Equal(60 * 5, builder.BuildTriplets().Count);
        Assert.All(a, q => Assert.Equal(10, q.TargetImageIds.Count));
    }

    [Fact]
    public void RepeatedProductIdsAreRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new CatalogueTripletBuilder([new("1", "1.jpg", "a b"), new("1", "2.jpg", "a c")]));
        Assert.Contains("'1'", e.Message);
    }

    [Theory]
    [InlineData("2", "12", -1)]
    [InlineData("012", "12", -1)]
    [InlineData("99", "a1", -1)]
    [InlineData("b", "a", 1)]
    public void OrdersIdsNumericallyFirst(string a, string b, int sign) =>
        Assert.Equal(sign, Math.Sign(CatalogueTripletBuilder.CompareIds(a, b)));

    [Fact]
    public void BuildsADatasetFromTwoSplits()
    {
        var dataset = CatalogueTripletBuilder.BuildDataset("fixture catalogue", FixtureSplit("train"), FixtureSplit("val"),
            new ImageLocator(Path.Combine(Fixture, "images")), seed: 1);
        Assert.Equal(7, dataset.TrainTriplets.Count);
        Assert.Equal(3, dataset.EvalQueries.Count);
        Assert.Equal(5, dataset.GalleryImageIds.Count);
    }
}
