using MLNet.ComposedRetrieval.Training;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Training;

public sealed class FeatureCacheTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "fc-test-" + Guid.NewGuid().ToString("N"));
    private static readonly long[] Shape = [2, 3];

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    // A deterministic "encoder": item id "k" maps to k, k+1, ... so stored values are checkable.
    private static Tensor Encode(IReadOnlyList<string> ids, List<string>? calls = null)
    {
        calls?.AddRange(ids);
        var values = ids.SelectMany(id => Enumerable.Range(0, 6).Select(j => int.Parse(id) + j * 0.25f)).ToArray();
        return tensor(values, [ids.Count, 2, 3]);
    }

    [Fact]
    public void StoresReloadsAndReturnsHalfPrecisionValues()
    {
        var ids = Enumerable.Range(0, 10).Select(i => i.ToString()).ToList();
        var cache = FeatureCache.Open(_root, "encoder=test;v=1", Shape);
        cache.Fill(ids, b => Encode(b), batchSize: 3, chunkSize: 4);

        var reopened = FeatureCache.Open(_root, "encoder=test;v=1", Shape);
        Assert.Equal(10, reopened.Count);
        using var loaded = reopened.Load(["7", "2"]);
        Assert.Equal(new long[] { 2, 2, 3 }, loaded.shape);
        Assert.Equal(7.25f, loaded[0, 0, 1].item<float>());
        Assert.Equal(2f + 5 * 0.25f, loaded[1, 1, 2].item<float>());
    }

    [Fact]
    public void SinglePrecisionKeepsExactValuesInItsOwnFolder()
    {
        var ids = new List<string> { "1", "2", "3" };
        float third = 1f / 3;
        Tensor Thirds(IReadOnlyList<string> batch) => full([batch.Count, 2, 3], third);
        var half = FeatureCache.Open(_root, "k", Shape);
        half.Fill(ids, Thirds, batchSize: 2);
        var single = FeatureCache.Open(_root, "k", Shape, FeaturePrecision.Single);
        Assert.NotEqual(half.Folder, single.Folder);
        Assert.Equal(0, single.Count);
        single.Fill(ids, Thirds, batchSize: 2, chunkSize: 2);

        var reopened = FeatureCache.Open(_root, "k", Shape, FeaturePrecision.Single);
        Assert.Equal(3, reopened.Count);
        using var exact = reopened.Load(["3", "1"]);
        Assert.Equal(third, exact[0, 1, 2].item<float>());
        using var rounded = FeatureCache.Open(_root, "k", Shape).Load(["3"]);
        Assert.NotEqual(third, rounded[0, 1, 2].item<float>());
    }

    [Fact]
    public void InterruptedFillResumesWithOnlyTheMissingItems()
    {
        var ids = Enumerable.Range(0, 10).Select(i => i.ToString()).ToList();
        var cache = FeatureCache.Open(_root, "k", Shape);
        using var cancel = new CancellationTokenSource();
        int batches = 0;
        Assert.Throws<OperationCanceledException>(() => cache.Fill(ids, b =>
        {
            if (++batches == 3) cancel.Cancel();   // dies inside the second chunk
            return Encode(b);
        }, batchSize: 2, chunkSize: 4, cancellationToken: cancel.Token));

        var resumed = FeatureCache.Open(_root, "k", Shape);
        Assert.Equal(4, resumed.Count);   // the finished chunk survived, the partial one did not
        var calls = new List<string>();
        resumed.Fill(ids, b => Encode(b, calls), batchSize: 2, chunkSize: 4);
        Assert.Equal(ids.Skip(4), calls);
        Assert.Equal(10, FeatureCache.Open(_root, "k", Shape).Count);
    }

    [Fact]
    public void DifferentKeysUseDifferentFoldersAndWrongShapesAreRejected()
    {
        var a = FeatureCache.Open(_root, "resnet18;224", Shape);
        var b = FeatureCache.Open(_root, "resnet18;256", Shape);
        Assert.NotEqual(a.Folder, b.Folder);
        Assert.Throws<InvalidDataException>(() => FeatureCache.Open(_root, "resnet18;224", [3, 2]));
        Assert.Throws<InvalidOperationException>(() => a.Fill(["1"], _ => zeros(1, 5), batchSize: 1));
        Assert.Throws<KeyNotFoundException>(() => a.Load(["nope"]));
    }
}
