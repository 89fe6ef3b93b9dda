using MLNet.ComposedRetrieval.Retrieval;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Benchmarks.Harness;

/// <summary>
/// Exact top-K search (deliverable d): synthetic normalised galleries of N x 512 floats, 1 and 100 queries per call,
/// each query excluding one gallery image (as a reference image is). Compared with the roofline, the larger of
/// gallery bytes / read bandwidth and 2·Q·N·D FLOP / matmul rate, and with a bare libtorch mm + topk over the whole
/// gallery at once. Each case times, round-robin, the library, the bare version and two probes of the limits (a
/// libtorch sum over the very gallery, a 2048³ matmul); the roofline takes the best limits seen in the whole run (the
/// gallery read only counts for galleries far larger than the caches; smaller ones can beat the memory roofline).
/// </summary>
internal static class SearchSection
{
    private const int Width = 512;
    private const int K = 50;

    /// <summary>Data this large streams from memory, not from a cache (L3 is 32 MB on the machine measured).</summary>
    private const double CacheFreeBytes = 256e6;

    public static string Run(MachineLimits limits, IReadOnlyList<int> gallerySizes, IReadOnlyList<int> queryCounts, int repeats)
    {
        var table = new MarkdownTable("N", "Q", "library p50 (ms)", "library best (ms)", "roofline (ms)", "best / roofline",
            "gallery GB/s", "GFLOP/s", "bare mm+topk best (ms)", "library / bare", "same top-50",
            "index build peak RSS (MB)", "search extra RSS (MB)", "bare extra RSS (MB)");
        foreach (var n in gallerySizes)
        {
            var ids = Enumerable.Range(0, n).Select(i => $"g{i}").ToArray();
            using var generator = new Generator(42);
            using var gallery = RandomUnitRows(n, generator);
            PeakMemory.Reset();
            var beforeIndex = PeakMemory.CurrentBytes;
            using var index = new GalleryIndex(ids, gallery);
            var indexPeak = PeakMemory.PeakBytes - beforeIndex;

            foreach (var q in queryCounts)
            {
                using var queries = RandomUnitRows(q, generator);
                var excluded = Enumerable.Range(0, q).Select(i => ids[i * 7 % n]).ToArray();
                var (librarySearch, libraryExtra) = MeasureMemory(() => index.Search(queries, K, excluded));
                var (bareTop, bareExtra) = MeasureMemory(() => BareSearch(gallery, queries));
                using (bareTop)
                {
                    var same = SameRankings(librarySearch, bareTop, excluded, ids);
                    var probes = new LimitProbes(gallery);
                    var times = Timing.Interleaved(warmup: 1, repeats,
                        () => index.Search(queries, K, excluded),
                        () => BareSearch(gallery, queries).Dispose(),
                        probes.ReadGallery,
                        probes.Matmul);
                    var (library, bare) = (times[0], times[1]);
                    // A gallery that fits in the caches reads faster than memory: only a large one probes the bandwidth.
                    var readProbe = probes.GalleryBytes >= CacheFreeBytes ? probes.GalleryBytes / times[2].Min : 0;
                    limits = limits.WithProbes(readProbe, LimitProbes.MatmulFlops / times[3].Min);

                    var bytes = (double)n * Width * sizeof(float);
                    var flops = 2.0 * q * n * Width;
                    var roofline = limits.RooflineSeconds(bytes, flops);
                    table.Add(n, q, library.Median * 1e3, library.Min * 1e3, roofline * 1e3, library.Min / roofline,
                        bytes / library.Min / 1e9, flops / library.Min / 1e9, bare.Min * 1e3, library.Min / bare.Min,
                        same ? "yes" : "NO", MarkdownTable.Megabytes(indexPeak), MarkdownTable.Megabytes(libraryExtra),
                        MarkdownTable.Megabytes(bareExtra));
                    probes.Dispose();
                }
            }
        }
        return table + Environment.NewLine + "Limits after the search probes:" + Environment.NewLine + Environment.NewLine + limits;
    }

    /// <summary>N rows of 512 standard-normal values scaled to unit length, in one allocation.</summary>
    private static Tensor RandomUnitRows(int count, Generator generator)
    {
        using var inference = inference_mode();
        var rows = randn(count, Width, generator: generator);
        using var norms = rows.norm(1, keepdim: true);
        return rows.div_(norms);
    }

    /// <summary>Runs <paramref name="action"/> once and returns its result and the resident memory it added at its peak.</summary>
    private static (T Result, long? ExtraBytes) MeasureMemory<T>(Func<T> action)
    {
        PeakMemory.Reset();
        var before = PeakMemory.CurrentBytes;
        var result = action();
        return (result, PeakMemory.PeakBytes - before);
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
