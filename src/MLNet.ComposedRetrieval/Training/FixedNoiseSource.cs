using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Training;

/// <summary>
/// Hands out given draws in order (for tests and golden-value checks): each call returns a copy of the next
/// tensor, converted to the requested dtype and device. Throws when the draws run out or a shape differs.
/// </summary>
internal sealed class FixedNoiseSource : INoiseSource
{
    private readonly Queue<Tensor> _draws;

    /// <summary>Queues <paramref name="draws"/>; the caller keeps ownership of them.</summary>
    public FixedNoiseSource(params Tensor[] draws)
    {
        _draws = new Queue<Tensor>(draws);
    }

    /// <summary>How many draws are left.</summary>
    public int Remaining => _draws.Count;

    /// <inheritdoc />
    public Tensor StandardNormal(long[] shape, ScalarType dtype, Device device)
    {
        if (!_draws.TryDequeue(out var next))
            throw new InvalidOperationException($"FixedNoiseSource has no draw left for a request of shape [{string.Join(", ", shape)}].");
        if (!next.shape.SequenceEqual(shape))
        {
            throw new InvalidOperationException(
                $"FixedNoiseSource's next draw has shape [{string.Join(", ", next.shape)}] but [{string.Join(", ", shape)}] was requested.");
        }
        return next.detach().to(dtype, device, copy: true);
    }
}
