using System.Collections.Concurrent;
using Microsoft.ML;

namespace MLNet.ComposedRetrieval.Tests.Pipeline;

/// <summary>One small model trained once (small encoders, 64 triplets, 4 steps) and shared by the pipeline tests.</summary>
public sealed class TrainedModelFixture : IDisposable
{
    public TrainedModelFixture()
    {
        ML = new MLContext(seed: 1);
        ML.Log += (_, e) => Log.Add(e.Message);
        var options = SyntheticRows.QuickOptions();
        options.BatchSize = 16;
        Model = ML.Transforms.ComposeImageText(options).Fit(SyntheticRows.Triplets(ML, SyntheticRows.Task.TrainTriplets.Take(64)));
    }

    public MLContext ML { get; }

    public ComposeImageTextTransformer Model { get; }

    /// <summary>Every message of <see cref="ML"/>'s log during training.</summary>
    public ConcurrentBag<string> Log { get; } = [];

    public void Dispose() => Model.Dispose();
}

/// <summary>
/// The tests that train or run models: they share <see cref="TrainedModelFixture"/> and run one after another, after the
/// parallel tests. TorchSharp's random generator is global to the process: training here while another test checks an
/// exactly repeated run (or while a frozen random encoder's cache key is computed) would change what that test draws.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TrainedModelCollection : ICollectionFixture<TrainedModelFixture>
{
    public const string Name = "trained composition model";
}
