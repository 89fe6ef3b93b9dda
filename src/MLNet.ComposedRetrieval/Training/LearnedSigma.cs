using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Training;

/// <summary>
/// The scalar s of the learned-s variant (<see cref="LossOptions.LearnSigma"/>): one parameter the trainer optimises
/// with the network and keeps in its checkpoints. Not part of the trained model: inference never uses s.
/// </summary>
internal sealed class LearnedSigma : IDisposable
{
    /// <summary>Where s starts: near the paper's pinned value (about 1.03 for 512-d targets of norm 4).</summary>
    public const double InitialValue = 1.0;

    public LearnedSigma(Device device, double initialValue = InitialValue) =>
        Parameter = new Parameter(tensor(initialValue, ScalarType.Float32, device), requires_grad: true);

    public Parameter Parameter { get; }

    public double Value => Parameter.item<float>();

    /// <summary>Sets s (resuming from a checkpoint).</summary>
    public void Set(double value)
    {
        using var noGrad = no_grad();
        Parameter.fill_(value);
    }

    public void Dispose() => Parameter.Dispose();
}
