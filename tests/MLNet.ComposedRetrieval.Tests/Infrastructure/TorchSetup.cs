using System.Runtime.CompilerServices;

namespace MLNet.ComposedRetrieval.Tests.Infrastructure;

internal static class TorchSetup
{
    /// <summary>Tests call TorchSharp directly, possibly before any library type loads.</summary>
    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "Test assembly setup.")]
    internal static void Initialize() => MLNet.ComposedRetrieval.TorchSharpRuntime.EnsureLoaded();
}
