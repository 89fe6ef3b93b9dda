using MLNet.ComposedRetrieval.Retrieval;

namespace MLNet.ComposedRetrieval.Tests.Retrieval.PgVector;

/// <summary>Small seeded galleries of clustered embeddings of norm 4 (the model's), with categories, and queries near them.</summary>
internal static class SyntheticGallery
{
    public const int Dimension = 64;
    public static readonly string[] Categories = ["Shoes", "Shirts", "Bags", "Watches", "Dresses", "Jeans", "Caps", "Belts", "Socks", "Ties"];

    /// <summary><paramref name="count"/> items in 20 clusters; item i has category i % 10 and id "p{i}".</summary>
    public static GalleryItem[] Items(int count, int seed = 1)
    {
        var random = new Random(seed);
        var centres = Enumerable.Range(0, 20).Select(_ => Gaussian(random, 1f)).ToArray();
        return Enumerable.Range(0, count)
            .Select(i => new GalleryItem($"p{i}", Scaled(Add(centres[i % 20], Gaussian(random, 0.5f))), $"Product {i}", Categories[i % 10]))
            .ToArray();
    }

    /// <summary>Queries near gallery items (a perturbed copy each), excluding that item as a reference image would be.</summary>
    public static GalleryStoreQuery[] Queries(GalleryItem[] items, int count, int seed = 2, string? category = null)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var reference = items[random.Next(items.Length)];
            return new GalleryStoreQuery(Scaled(Add(reference.Embedding.ToArray(), Gaussian(random, 0.3f))), reference.Id, category);
        }).ToArray();
    }

    /// <summary>The exact rankings of an in-memory store at <paramref name="precision"/> over <paramref name="items"/>.</summary>
    public static IReadOnlyList<GalleryRanking> Exact(GalleryItem[] items, IReadOnlyList<GalleryStoreQuery> queries, int k,
        GalleryPrecision precision = GalleryPrecision.Half)
    {
        using var store = new InMemoryGalleryStore(items.Select(i => i.Id).ToArray(),
            items.SelectMany(i => i.Embedding.ToArray()).ToArray(), Dimension, precision);
        return store.Search(queries.Select(q => q with { Category = null }).ToArray(), k);
    }

    private static float[] Gaussian(Random random, float scale) =>
        Enumerable.Range(0, Dimension)
            .Select(_ => scale * (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())))
            .ToArray();

    private static float[] Add(float[] a, float[] b) => a.Zip(b, (x, y) => x + y).ToArray();

    private static float[] Scaled(float[] v)
    {
        var norm = MathF.Sqrt(v.Sum(x => x * x));
        return v.Select(x => 4 * x / norm).ToArray();
    }
}
