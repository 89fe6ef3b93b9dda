namespace MLNet.ComposedRetrieval.Tests.Infrastructure;

/// <summary>
/// Tests that check a training run repeats exactly. TorchSharp's random generator is global to the process, so such a
/// test fails when a test running in parallel draws from it; tests of this collection run one at a time, after the
/// parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalRandomGeneratorCollection
{
    public const string Name = "TorchSharp global random generator";
}
