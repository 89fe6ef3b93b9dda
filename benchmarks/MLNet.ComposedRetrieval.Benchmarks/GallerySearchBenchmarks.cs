using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Benchmarks;

/// <summary>
/// Exact top-50 search over N x 512 unit rows, 1 or 100 queries per call, each query excluding one gallery image:
/// <see cref="InMemoryGalleryStore.Search"/> (what a search engine searches) against the bare libtorch way (one mm over
/// the whole gallery, one topk), the baseline. The harness (<c>-- harness search</c>) adds the machine's roofline.
/// <code>dotnet run -c Release --project benchmarks/MLNet.ComposedRetrieval.Benchmarks -- --filter '*GallerySearch*'</code>
/// </summary>
[Config(typeof(ShortInProcess))]
[MemoryDiagnoser(displayGenColumns: false)]
public class GallerySearchBenchmarks
{
    /// <summary>In process, 2 warm-ups and 5 measured iterations: a 1M gallery takes seconds per call here.</summary>
    private sealed class ShortInProcess : ManualConfig
    {
        public ShortInProcess() => AddJob(Job.Default
            .WithToolchain(new InProcessEmitToolchain(TimeSpan.FromMinutes(30), logOutput: false))
            .WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(5).WithId("ShortInProcess"));
    }

    private const int K = 50;
    private InMemoryGalleryStore _index = null!;
    private GalleryStoreQuery[] _storeQueries = null!;
    private Tensor _gallery = null!;
    private Tensor _queries = null!;

    [Params(10_000, 100_000, 1_000_000)]
    public int GallerySize { get; set; }

    [Params(1, 100)]
    public int Queries { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        TorchSharpRuntime.EnsureLoaded();
        using var generator = new Generator(1);
        _gallery = nn.functional.normalize(randn(GallerySize, 512, generator: generator), dim: 1);
        var ids = Enumerable.Range(0, GallerySize).Select(i => $"img{i}").ToArray();
        _index = new InMemoryGalleryStore(ids, MemoryMarshal.Cast<byte, float>(_gallery.bytes), 512);
        _queries = nn.functional.normalize(randn(Queries, 512, generator: generator), dim: 1);
        var rows = _queries.data<float>().ToArray();
        _storeQueries = Enumerable.Range(0, Queries).Select(i => new GalleryStoreQuery(rows.AsMemory(i * 512, 512), ids[i])).ToArray();
    }

    [Benchmark]
    public int Library() => _index.Search(_storeQueries, K).Count;

    /// <summary>All Q x N scores at once, then topk of K + 1 (room for the excluded image).</summary>
    [Benchmark(Baseline = true)]
    public long BareMatmulTopK()
    {
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        return _queries.mm(_gallery.t()).topk(K + 1, dim: 1).indexes.shape[1];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _index.Dispose();
        _gallery.Dispose();
        _queries.Dispose();
    }
}
