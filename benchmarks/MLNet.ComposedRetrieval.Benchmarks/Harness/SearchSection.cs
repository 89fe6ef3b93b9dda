using System.Globalization;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Benchmarks.Harness;

/// <summary>
/// Exact top-K search (deliverable d): synthetic normalised galleries of N x 512 floats, 1 and 100 queries per call,
/// each query excluding one gallery image (as a reference image is), the gallery held in an
/// <see cref="InMemoryGalleryStore"/> (what a search engine searches) at each precision asked for
/// (<see cref="GalleryPrecision"/>). Compared with the roofline, the larger of stored gallery bytes / read bandwidth
/// and 2·Q·N·D FLOP / fp32 matmul rate, and with a bare libtorch fp32 mm + topk over the whole gallery at once. Each
/// case times, round-robin, the library, the bare version and two probes of the limits (a libtorch sum over the
/// float32 gallery, a 2048³ matmul); the roofline takes the best limits seen in the whole run (the gallery read only
/// counts for galleries far larger than the caches; smaller ones can beat the memory roofline). A float32 gallery's
/// top 50 is checked against the bare one; a half or int8 gallery's is compared with it: the share of the float32
/// top 50 it finds (mean and worst over the queries) and how often it has the same first image.
/// </summary>
internal static class SearchSection
{
    private const int Width = 512;
    private const int K = 50;

    /// <summary>Data this large streams from memory, not from a cache (L3 is 32 MB on the machine measured).</summary>
    private const double CacheFreeBytes = 256e6;

    public static string Run(MachineLimits limits, IReadOnlyList<int> gallerySizes, IReadOnlyList<int> queryCounts,
        IReadOnlyList<GalleryPrecision> precisions, int repeats)
    {
        var table = new MarkdownTable("N", "Q", "precision", "library p50 (ms)", "library best (ms)", "roofline (ms)", "best / roofline",
            "gallery GB/s", "GFLOP/s", "bare fp32 mm+topk best (ms)", "library / bare", "top-50 vs fp32",
            "index MB", "index build peak RSS (MB)", "search extra RSS (MB)", "bare extra RSS (MB)");
        foreach (var n in gallerySizes)
        {
            var ids = Enumerable.Range(0, n).Select(i => $"g{i}").ToArray();
            using var generator = new Generator(42);
            using var gallery = RandomUnitRows(n, generator);
            // The float32 reference of every case, computed once: the bare search's top K + 1 (room for the excluded image).
            var cases = queryCounts.Select(q =>
            {
                var queries = RandomUnitRows(q, generator);
                var excluded = Enumerable.Range(0, q).Select(i => ids[i * 7 % n]).ToArray();
                var rows = queries.data<float>().ToArray();
                var storeQueries = excluded.Select((id, i) => new GalleryStoreQuery(rows.AsMemory(i * Width, Width), id)).ToArray();
                var (bareTop, bareExtra) = MeasureMemory(() => BareSearch(gallery, queries));
                return (Queries: queries, StoreQueries: storeQueries, Excluded: excluded, BareTop: bareTop, BareExtra: bareExtra);
            }).ToList();

            foreach (var precision in precisions)
            {
                PeakMemory.Reset();
                var beforeIndex = PeakMemory.CurrentBytes;
                using var index = new InMemoryGalleryStore(ids, MemoryMarshal.Cast<byte, float>(gallery.bytes), Width, precision);
                var indexPeak = PeakMemory.PeakBytes - beforeIndex;

                foreach (var (queries, storeQueries, excluded, bareTop, bareExtra) in cases)
                {
                    var q = (int)queries.shape[0];
                    var (librarySearch, libraryExtra) = MeasureMemory(() => index.Search(storeQueries, K));
                    var agreement = precision == GalleryPrecision.Single
                        ? SameRankings(librarySearch, bareTop, excluded, ids, gallery, queries)
                        : Overlap(librarySearch, bareTop, excluded, ids);
                    var probes = new LimitProbes(gallery);
                    var times = Timing.Interleaved(warmup: 1, repeats,
                        () => index.Search(storeQueries, K),
                        () => BareSearch(gallery, queries).Dispose(),
                        probes.ReadGallery,
                        probes.Matmul);
                    var (library, bare) = (times[0], times[1]);
                    // A gallery that fits in the caches reads faster than memory: only a large one probes the bandwidth.
                    var readProbe = probes.GalleryBytes >= CacheFreeBytes ? probes.GalleryBytes / times[2].Min : 0;
                    limits = limits.WithProbes(readProbe, LimitProbes.MatmulFlops / times[3].Min);

                    var bytes = (double)index.StoredBytes;
                    var flops = 2.0 * q * n * Width;
                    var roofline = limits.RooflineSeconds(bytes, flops);
                    table.Add(n, q, precision, library.Median * 1e3, library.Min * 1e3, roofline * 1e3, library.Min / roofline,
                        bytes / library.Min / 1e9, flops / library.Min / 1e9, bare.Min * 1e3, library.Min / bare.Min,
                        agreement, MarkdownTable.Megabytes(index.StoredBytes), MarkdownTable.Megabytes(indexPeak),
                        MarkdownTable.Megabytes(libraryExtra), MarkdownTable.Megabytes(bareExtra));
                    probes.Dispose();
                }
            }
            foreach (var c in cases)
            {
                c.Queries.Dispose();
                c.BareTop.Dispose();
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

    /// <summary>
    /// How much of each query's float32 top K (the bare search's, its excluded image left out) the library's ranking
    /// holds, in any order: the mean and the worst share over the queries, and the share of queries whose first image
    /// is the same.
    /// </summary>
    private static string Overlap(IReadOnlyList<GalleryRanking> rankings, Tensor bareTop, string[] excluded, string[] ids)
    {
        var positions = bareTop.data<long>().ToArray();
        var width = (int)bareTop.shape[1];
        var shares = new double[rankings.Count];
        var sameFirst = 0;
        for (var q = 0; q < rankings.Count; q++)
        {
            var expected = positions.Skip(q * width).Take(width).Select(p => ids[p]).Where(id => id != excluded[q]).Take(K).ToArray();
            shares[q] = (double)expected.Intersect(rankings[q].Ids).Count() / expected.Length;
            if (rankings[q].Ids[0] == expected[0]) sameFirst++;
        }
        return string.Create(CultureInfo.InvariantCulture,
            $"{100 * shares.Average():F1}% (worst {100 * shares.Min():F0}%), same top-1 {100.0 * sameFirst / rankings.Count:F0}%");
    }

    /// <summary>
    /// "yes" if, leaving out each query's excluded image, both give the same top-K ids; "yes (near ties)" if they
    /// differ only by images whose scores are within 1e-5 of each other (the library and libtorch sum the 512
    /// products in different orders); otherwise "NO".
    /// </summary>
    private static string SameRankings(IReadOnlyList<GalleryRanking> rankings, Tensor bareTop, string[] excluded, string[] ids,
        Tensor gallery, Tensor queries)
    {
        var positions = bareTop.data<long>().ToArray();
        var width = (int)bareTop.shape[1];
        var nearTies = false;
        for (var q = 0; q < rankings.Count; q++)
        {
            var expected = positions.Skip(q * width).Take(width).Where(p => ids[p] != excluded[q]).Take(K).ToArray();
            if (expected.Select(p => ids[p]).SequenceEqual(rankings[q].Ids)) continue;
            var found = rankings[q].Ids.Select(id => long.Parse(id.AsSpan(1))).ToArray();
            using var scope = NewDisposeScope();
            var query = queries[q];
            var a = gallery.index_select(0, tensor(expected)).mv(query).sort(descending: true).Values.data<float>().ToArray();
            var b = gallery.index_select(0, tensor(found)).mv(query).sort(descending: true).Values.data<float>().ToArray();
            if (a.Length != b.Length || a.Zip(b).Any(p => Math.Abs(p.First - p.Second) > 1e-5)) return "NO";
            nearTies = true;
        }
        return nearTies ? "yes (near ties)" : "yes";
    }
}
