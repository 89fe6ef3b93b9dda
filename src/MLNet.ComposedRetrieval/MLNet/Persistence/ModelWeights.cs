using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// What <see cref="ModelPersistence.Write"/> needs of a model besides its description: the trained network's state dict
/// (unfolded, as the model file stores it), in the network's order. The model runs on its inference form only
/// (docs/architecture.md, inference), so these weights are kept apart from it, in the cheapest form that can still be
/// saved: the tensors themselves (<see cref="InMemoryModelWeights"/>), or nothing but where to read them again
/// (<see cref="ModelFileWeights"/>).
/// </summary>
internal abstract class ModelWeights : IDisposable
{
    /// <summary>Runs <paramref name="use"/> on the state dict (name, tensor) in the network's order; the tensors are
    /// only valid during the call.</summary>
    /// <exception cref="InvalidOperationException">The weights can no longer be read (their file changed or is gone).</exception>
    public abstract T Use<T>(Func<IReadOnlyList<(string Name, Tensor Value)>, T> use);

    /// <summary>Frees the tensors kept, if any.</summary>
    public abstract void Dispose();
}
