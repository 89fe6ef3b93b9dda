using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Training;

/// <summary>
/// SGD over named parameter groups, each at its own multiple of a shared base learning rate (docs/method.md "Training":
/// momentum 0.9, weight decay 5e-5). Call <see cref="ApplyLearningRate(double)"/> before each step with the
/// schedule's base rate. TorchSharp's SGD updates exactly like PyTorch's (the test
/// <c>OneStepEqualsPyTorchsUpdate</c> checks it by hand): g = grad + weight_decay * p; the momentum buffer starts
/// at g and then becomes momentum * buffer + g (no dampening); p -= lr * buffer.
/// </summary>
internal sealed class GroupedSgd : IDisposable
{
    /// <summary>The paper's momentum.</summary>
    public const double DefaultMomentum = 0.9;

    /// <summary>The paper's weight decay (an L2 term added to the gradient, on every parameter).</summary>
    public const double DefaultWeightDecay = 5e-5;

    private readonly SGD _optimizer;

    /// <param name="groups">Non-empty groups; no parameter may appear twice.</param>
    /// <param name="baseLearningRate">The base rate the groups start at (times their multipliers).</param>
    /// <param name="momentum">Momentum factor, &gt;= 0.</param>
    /// <param name="weightDecay">Weight decay, &gt;= 0.</param>
    public GroupedSgd(IEnumerable<ParameterGroup> groups, double baseLearningRate, double momentum = DefaultMomentum, double weightDecay = DefaultWeightDecay)
    {
        ArgumentNullException.ThrowIfNull(groups);
        Groups = groups.ToArray();
        if (Groups.Count == 0) throw new ArgumentException("At least one parameter group is needed.", nameof(groups));
        RequireLearningRate(baseLearningRate);
        if (!double.IsFinite(momentum) || momentum < 0) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "Momentum must be finite and >= 0.");
        if (!double.IsFinite(weightDecay) || weightDecay < 0) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "Weight decay must be finite and >= 0.");

        var seen = new Dictionary<IntPtr, string>();
        foreach (var group in Groups)
        {
            if (group.Parameters.Count == 0) throw new ArgumentException($"Parameter group '{group.Name}' has no parameters.", nameof(groups));
            if (!double.IsFinite(group.LearningRateMultiplier) || group.LearningRateMultiplier < 0)
                throw new ArgumentException($"Parameter group '{group.Name}' has learning-rate multiplier {group.LearningRateMultiplier}; it must be finite and >= 0.", nameof(groups));
            foreach (var parameter in group.Parameters)
            {
                if (!seen.TryAdd(parameter.Handle, group.Name))
                    throw new ArgumentException($"A parameter of group '{group.Name}' is already in group '{seen[parameter.Handle]}'.", nameof(groups));
            }
        }

        Momentum = momentum;
        WeightDecay = weightDecay;
        _optimizer = optim.SGD(
            Groups.Select(g => new SGD.ParamGroup(g.Parameters, baseLearningRate * g.LearningRateMultiplier, momentum, weight_decay: weightDecay)),
            baseLearningRate, momentum, weight_decay: weightDecay);
    }

    /// <summary>The groups, in the order given.</summary>
    public IReadOnlyList<ParameterGroup> Groups { get; }

    /// <summary>The momentum factor.</summary>
    public double Momentum { get; }

    /// <summary>The weight decay.</summary>
    public double WeightDecay { get; }

    /// <summary>The underlying TorchSharp optimizer (for checkpointing its state).</summary>
    public optim.Optimizer Optimizer => _optimizer;

    /// <summary>The current learning rate of each group, in <see cref="Groups"/> order.</summary>
    public IReadOnlyList<double> LearningRates => _optimizer.ParamGroups.Select(g => g.LearningRate).ToArray();

    /// <summary>Sets every group's learning rate to <paramref name="baseLearningRate"/> times its multiplier.</summary>
    public void ApplyLearningRate(double baseLearningRate)
    {
        RequireLearningRate(baseLearningRate);
        foreach (var (torchGroup, group) in _optimizer.ParamGroups.Zip(Groups))
            torchGroup.LearningRate = baseLearningRate * group.LearningRateMultiplier;
    }

    /// <summary>Applies the schedule's base rate at <paramref name="epochProgress"/> to every group.</summary>
    public void ApplyLearningRate(LearningRateSchedule schedule, double epochProgress)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ApplyLearningRate(schedule.At(epochProgress));
    }

    /// <summary>Clears the gradients of all parameters.</summary>
    public void ZeroGrad() => _optimizer.zero_grad();

    /// <summary>Updates all parameters from their gradients (parameters without a gradient are left alone).</summary>
    public void Step() => _optimizer.step();

    /// <inheritdoc />
    /// <summary>Writes the momentum buffers and group settings (for checkpoints).</summary>
    public void SaveState(BinaryWriter writer) => _optimizer.save_state_dict(writer);

    /// <summary>Restores what <see cref="SaveState"/> wrote, into an optimiser over the same groups.</summary>
    public void LoadState(BinaryReader reader) => _optimizer.load_state_dict(reader);

    public void Dispose() => _optimizer.Dispose();

    private static void RequireLearningRate(double learningRate)
    {
        if (!double.IsFinite(learningRate) || learningRate < 0)
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be finite and >= 0.");
    }
}
