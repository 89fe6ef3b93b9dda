using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Tests.Infrastructure;
using Xunit.Abstractions;

using MLNet.ComposedRetrieval.Tests.Data.Catalogue;

namespace MLNet.ComposedRetrieval.Tests.Data;

/// <summary>The builder against the shipped fashion-product-images files (parsed once for the class).</summary>
public class CatalogueTripletBuilderRealDataTests(ITestOutputHelper output)
{
    private static readonly Lazy<(string Folder, IReadOnlyList<CatalogueProduct> Products)> Catalogue = new(() =>
    {
        var folder = SharedData.Require("datasets/fashion-product-images");
        var products = StylesCsvReader.Read(Path.Combine(folder, "styles.csv")).Select(s => s.ToProduct()).ToArray();
        return (folder, products);
    });

    private static CatalogueTripletBuilder BuilderFor(string split)
    {
        var (folder, products) = Catalogue.Value;
        var ids = TripletTsvReader.ReadImageList(Path.Combine(folder, $"split.{split}.tsv")).ToHashSet();
        return new CatalogueTripletBuilder(products.Where(p => ids.Contains(p.Id)));
    }

    [SkippableFact]
    public void TrainSplitReproducesTheShippedTripletFileExactly()
    {
        var builder = BuilderFor("train");
        var shipped = TripletTsvReader.ReadTriplets(Path.Combine(Catalogue.Value.Folder, "triplets.train.tsv"));

        var built = builder.BuildTriplets();

        Assert.Equal(139_276, built.Count);
        Assert.Equal(shipped.Count, built.Count);
        // Same triplets in the same order (compared directly: xunit's collection diff is slow at this size).
        var firstDifference = Enumerable.Range(0, built.Count).FirstOrDefault(i => built[i] != shipped[i], -1);
        Assert.True(firstDifference < 0, $"line {firstDifference + 2}: built {(firstDifference < 0 ? null : built[firstDifference])}, shipped {(firstDifference < 0 ? null : shipped[firstDifference])}");
    }

    [SkippableFact]
    public void ValSplitGivesTheShippedQueryReferencesAndTargets()
    {
        var builder = BuilderFor("val");
        var shipped = TripletTsvReader.ReadQueries(Path.Combine(Catalogue.Value.Folder, "queries.val.tsv"));
        var all = builder.BuildAllQueries();
        var sampled = builder.BuildQueries(seed: 0);

        Assert.Equal(4_433, builder.GalleryImageIds.Count);
        Assert.Equal(1_958, sampled.Count);
        // Every shipped query is one of the possible queries, and the sampled ones have the same references.
        Assert.Subset(all.ToHashSet(), shipped.ToHashSet());
        Assert.Equal(shipped.Select(q => q.ReferenceImageId).Order(), sampled.Select(q => q.ReferenceImageId).Order());

        // Which neighbour title a query uses was drawn at random by an unknown generator: references with one
        // neighbour always agree, the others by chance.
        var singleNeighbour = all.GroupBy(q => q.ReferenceImageId).Count(g => g.Count() == 1);
        var same = sampled.Intersect(shipped).Count();
        output.WriteLine($"possible queries {all.Count}; sampled = shipped for {same} of {shipped.Count} references; " +
                         $"{singleNeighbour} references have a single neighbour title");
        Assert.InRange(same, singleNeighbour, shipped.Count);
    }
}
