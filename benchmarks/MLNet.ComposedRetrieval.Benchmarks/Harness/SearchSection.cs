using MLNet.ComposedRetrieval.Retrieval;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Benchmarks.Harness;

/// <summary>
/// Exact top-K search (deliverable d): synthetic normalised galleries of N x 512 floats, 1 and 100 queries per call,
/// each query excluding one gallery image (as a reference image is). Against the roofline (the larger of gallery bytes /
/// read bandwidth and 2·Q·N·D FLOP / matmul rate) and against a bare libtorch mm + topk over the whole gallery at once.
/// </summary>
internal static class SearchSection
{
    private const int Width = 512;
    private const int K = 50;

    public static string Run(MachineLimits limits, IReadOnlyList<int> gallerySizes, IReadOnlyList<int> queryCounts, int repeats)
    {
        var table = new MarkdownTable("N", "Q", "library p50 (ms)", "library min (ms)", "roofline (ms)", "min / roofline",
            "gallery GB/s", "GFLOP/s", "bare mm+topk min (ms)", "library / bare", "same top-50", "peak RSS (MB)");
        foreach (var n in gallerySizes)
        {
            PeakMemory.Reset();
            var ids = Enumerable.Range(0, n).Select(i => $"g{i}").ToArray();
            using var generator = new Generator(42);
            GalleryIndex index;
            Tensor gallery;
            using (var scope = NewDisposeScope())
            {
                using var inference = inference_mode();
                var embeddings = nn.functional.normalize(randn(n, Width, generator: generator), dim: 1);
                index = new GalleryIndex(ids, embeddings);
                gallery = embeddings.DetachFromDisposeScope();
            }
            using (index)
            using (gallery)
            {
                foreach (var q in queryCounts)
                {
                    using var scope = NewDisposeScope();
                    var queries = nn.functional.normalize(randn(q, Width, generator: generator), dim: 1);
                    var excluded = Enumerable.Range(0, q).Select(i => ids[i * 7 % n]).ToArray();
                    var bareTop = (Tensor?)null;
                    var times = Timing.Interleaved(warmup: 1, repeats,
                        () => index.Search(queries, K, excluded),
                        () =>
                        {
                            bareTop?.Dispose();
                            bareTop = BareSearch(gallery, queries);
                        });
                    var same = SameRankings(index.Search(queries, K, excluded), bareTop!, excluded, ids);
                    bareTop!.Dispose();

                    var (library, bare) = (times[0], times[1]);
                    var bytes = (double)n * Width * sizeof(float);
                    var flops = 2.0 * q * n * Width;
                    var roofline = limits.RooflineSeconds(bytes, flops);
                    table.Add(n, q, library.Median * 1e3, library.Min * 1e3, roofline * 1e3, library.Min / roofline,
                        bytes / library.Min / 1e9, flops / library.Min / 1e9, bare.Min * 1e3, library.Min / bare.Min,
                        same ? "yes" : "NO", MarkdownTable.Megabytes(PeakMemory.PeakBytes));
                }
            }
        }
        return table.ToString();
    }

    /// <summary>
    /// The plain way: one mm over the whole gallery and one topk (K + 1 candidates, room for the excluded image).
    /// It holds all Q x N scores at once, which is why the library chunks instead.
    /// </summary>
    private static Tensor BareSearch(Tensor gallery, Tensor queries)
    {
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        var scores = queries.mm(gallery.t());
        return scores.topk(K + 1, dim: 1).indexes.MoveToOuterDisposeScope();
    }

    /// <summary>True if, leaving out each query's excluded image, both give the same top-K ids (random data: no ties).</summary>
    private static bool SameRankings(IReadOnlyList<GalleryRanking> rankings, Tensor bareTop, string[] excluded, string[] ids)
    {
        var positions = bareTop.data<long>().ToArray();
        var width = (int)bareTop.shape[1];
        for (var q = 0; q < rankings.Count; q++)
        {
            var expected = positions.Skip(q * width).Take(width).Select(p => ids[p]).Where(id => id != excluded[q]).Take(K);
            if (!expected.SequenceEqual(rankings[q].Ids)) return false;
        }
        return true;
    }
}
