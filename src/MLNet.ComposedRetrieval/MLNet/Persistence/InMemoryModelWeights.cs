using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval;

/// <summary>A state dict kept as CPU tensors: for a model trained in this process, or read from a stream that cannot be
/// read again. Owns the tensors.</summary>
internal sealed class InMemoryModelWeights : ModelWeights
{
    private readonly IReadOnlyList<(string Name, Tensor Value)> _tensors;

    /// <param name="tensors">The state dict in the network's order; owned from now on.</param>
    public InMemoryModelWeights(IReadOnlyList<(string Name, Tensor Value)> tensors) => _tensors = tensors;

    /// <summary>A CPU copy of <paramref name="network"/>'s state dict, which shares no tensor with it.</summary>
    public static InMemoryModelWeights CopyOf(nn.Module network)
    {
        using var noGrad = no_grad();
        return new InMemoryModelWeights(network.state_dict().Select(entry =>
        {
            var value = entry.Value.detach();
            return (entry.Key, value.device_type == DeviceType.CPU ? value.clone() : value.cpu());
        }).ToList());
    }

    /// <inheritdoc/>
    public override T Use<T>(Func<IReadOnlyList<(string Name, Tensor Value)>, T> use) => use(_tensors);

    /// <inheritdoc/>
    public override void Dispose()
    {
        foreach (var (_, value) in _tensors) value.Dispose();
    }
}
