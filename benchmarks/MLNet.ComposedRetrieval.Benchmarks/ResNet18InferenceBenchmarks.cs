using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using MLNet.ComposedRetrieval.Modeling;
using MLNet.ComposedRetrieval.Modeling.Inference;
using MLNet.ComposedRetrieval.Pretrained;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Benchmarks;

/// <summary>
/// Forward time of the imported ImageNet ResNet-18 (layer4 map plus pooling) on preprocessed 224 x 224 batches,
/// in inference mode (eval, no gradients), on the CPU: as trained (batch norm unfolded), with batch norm folded, and
/// folded in oneDNN's layout (what ComposedRetrievalModel runs). Images per second = BatchSize / Mean.
/// dotnet run -c Release --project benchmarks/MLNet.ComposedRetrieval.Benchmarks -- --filter '*ResNet18*'
/// </summary>
[Config(typeof(ShortInProcess))]
public class ResNet18InferenceBenchmarks
{
    /// <summary>In process (the DnnImageModels/ files are beside this program), 3 warm-ups and 5 measured
    /// iterations: a batch of 32 takes seconds on the 2-core machines here, beyond BenchmarkDotNet's default
    /// in-process time limit.</summary>
    private sealed class ShortInProcess : ManualConfig
    {
        public ShortInProcess() => AddJob(Job.Default
            .WithToolchain(new InProcessEmitToolchain(TimeSpan.FromMinutes(30), logOutput: false))
            .WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(5).WithId("ShortInProcess"));
    }

    private ResNetBackbone _backbone = null!;
    private FoldedResNet _folded = null!;
    private FoldedResNet _oneDnn = null!;
    private Tensor _images = null!;

    [Params(1, 32)]
    public int BatchSize { get; set; }

    /// <summary>libtorch's intra-op threads; one can win when other processes share the cores.</summary>
    [Params(1, 2)]
    public int TorchThreads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(TorchThreads);
        _backbone = PretrainedResNet18.Create();
        _backbone.eval();
        _folded = _backbone.ToInference();
        _oneDnn = _backbone.ToInference();
        if (!_oneDnn.TryUseOneDnn(out var reason)) throw new InvalidOperationException($"oneDNN is unavailable: {reason}");
        _images = randn(BatchSize, 3, 224, 224);
    }

    [Benchmark(Baseline = true)]
    public float PooledFeatures()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return _backbone.ForwardPooled(_images).sum().item<float>();
    }

    [Benchmark]
    public float FoldedPooledFeatures() => Pooled(_folded);

    [Benchmark]
    public float FoldedOneDnnPooledFeatures() => Pooled(_oneDnn);

    private float Pooled(FoldedResNet folded)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return ResNetBackbone.Pool(folded.forward(_images)).sum().item<float>();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _images.Dispose();
        _oneDnn.Dispose();
        _folded.Dispose();
        _backbone.Dispose();
    }
}
