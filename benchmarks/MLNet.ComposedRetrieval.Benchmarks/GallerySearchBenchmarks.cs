using BenchmarkDotNet.Attributes;
using MLNet.ComposedRetrieval.Native;
using MLNet.ComposedRetrieval.Retrieval;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Benchmarks;

/// <summary>Exact top-50 search of 256 queries over a 512-d gallery (the size of a Recall@50 evaluation batch).</summary>
[MemoryDiagnoser]
public class GallerySearchBenchmarks
{
    private GalleryIndex _index = null!;
    private Tensor _queries = null!;
    private string[] _excluded = null!;

    [Params(10_000, 100_000)]
    public int GallerySize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        TorchSharpRuntime.EnsureLoaded();
        using var generator = new Generator(1);
        using var gallery = nn.functional.normalize(randn(GallerySize, 512, generator: generator), dim: 1);
        _index = new GalleryIndex(Enumerable.Range(0, GallerySize).Select(i => $"img{i}").ToArray(), gallery);
        _queries = nn.functional.normalize(randn(256, 512, generator: generator), dim: 1);
        _excluded = Enumerable.Range(0, 256).Select(i => $"img{i}").ToArray();
    }

    [Benchmark]
    public int Top50With256Queries() => _index.Search(_queries, 50, _excluded).Count;

    [GlobalCleanup]
    public void Cleanup()
    {
        _index.Dispose();
        _queries.Dispose();
    }
}
