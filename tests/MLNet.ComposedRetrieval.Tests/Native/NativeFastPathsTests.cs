using MLNet.ComposedRetrieval.Modeling;
using MLNet.ComposedRetrieval.Modeling.Inference;
using MLNet.ComposedRetrieval.Native;

namespace MLNet.ComposedRetrieval.Tests.Native;

/// <summary>Flips a process-wide switch, so it runs alone, after the parallel tests.</summary>
[CollectionDefinition(nameof(ProcessWideSwitches), DisableParallelization = true)]
public sealed class ProcessWideSwitches;

[Collection(nameof(ProcessWideSwitches))]
public class NativeFastPathsTests
{
    [Fact]
    public void TurningTheOneDnnLayoutOffKeepsNetsDenseWithoutTryingIt()
    {
        var before = NativeFastPaths.UseOneDnnLayout;
        try
        {
            NativeFastPaths.UseOneDnnLayout = false;
            Assert.Contains(NativeFastPaths.OneDnnLayoutVariable + "=0", NativeFastPaths.OneDnnLayoutBlockedReason);
            Assert.Equal(NativeFastPaths.OneDnnLayoutBlockedReason, OneDnnOps.Availability);
            using var backbone = new ResNetBackbone(new ResNetArchitecture(ResNetBlockKind.Basic, [1, 1, 1, 1]));
            using var folded = backbone.ToInference();
            Assert.False(folded.TryUseOneDnn(out var reason));
            Assert.StartsWith("turned off", reason);
            Assert.False(folded.UsesOneDnn);
        }
        finally
        {
            NativeFastPaths.UseOneDnnLayout = before;
        }
    }
}
