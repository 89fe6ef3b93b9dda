namespace MLNet.ComposedRetrieval.Training;

/// <summary>
/// The dynamic weight of the paper's Eq. 4: gamma = exp(-gamma0 * epoch / totalEpochs), epoch counted from 0,
/// so training starts on the coarse-grained term (gamma = 1) and shifts towards the fine-grained InfoNCE.
/// </summary>
internal sealed class GammaSchedule
{
    /// <param name="gamma0">The initial weight gamma0 (1 in the paper), finite and &gt;= 0.</param>
    /// <param name="totalEpochs">Number of training epochs, &gt; 0.</param>
    public GammaSchedule(double gamma0, int totalEpochs)
    {
        if (!double.IsFinite(gamma0) || gamma0 < 0)
            throw new ArgumentOutOfRangeException(nameof(gamma0), gamma0, "gamma0 must be finite and >= 0.");
        if (totalEpochs <= 0)
            throw new ArgumentOutOfRangeException(nameof(totalEpochs), totalEpochs, "totalEpochs must be > 0.");
        Gamma0 = gamma0;
        TotalEpochs = totalEpochs;
    }

    /// <summary>The initial weight gamma0.</summary>
    public double Gamma0 { get; }

    /// <summary>The number of training epochs.</summary>
    public int TotalEpochs { get; }

    /// <summary>gamma for the 0-based <paramref name="epoch"/> (&gt;= 0).</summary>
    public double At(int epoch)
    {
        if (epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "epoch is counted from 0 and must be >= 0.");
        return Math.Exp(-Gamma0 * epoch / TotalEpochs);
    }
}
