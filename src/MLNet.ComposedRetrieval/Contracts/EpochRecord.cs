namespace MLNet.ComposedRetrieval;

/// <summary>What one training epoch did.</summary>
/// <param name="Epoch">The epoch, counted from 0.</param>
/// <param name="Steps">Optimiser steps taken.</param>
/// <param name="Loss">Mean total loss.</param>
/// <param name="InfoNceLoss">Mean clean InfoNCE term, InfoNCE(f_s, f_t).</param>
/// <param name="UncertaintyLoss">Mean uncertainty term L_u; null for the InfoNCE-only baseline.</param>
/// <param name="Sigma">Mean of the scalar s (docs/method.md); null for the baseline.</param>
/// <param name="Gamma">The weight of L_u in this epoch.</param>
/// <param name="LearningRate">The base learning rate at the epoch's last step.</param>
/// <param name="ValidationRecall">Validation Recall@K as a fraction (0.2855 for 28.55%), by K; empty without validation.</param>
/// <param name="Duration">Wall time of the epoch, validation included.</param>
public sealed record EpochRecord(
    int Epoch,
    int Steps,
    double Loss,
    double InfoNceLoss,
    double? UncertaintyLoss,
    double? Sigma,
    double Gamma,
    double LearningRate,
    IReadOnlyDictionary<int, double> ValidationRecall,
    TimeSpan Duration)
{
    /// <summary>This record with a validation recall stored in percent (model files and checkpoints written before
    /// recall became a fraction) turned into fractions.</summary>
    internal EpochRecord WithRecallFromPercent() =>
        this with { ValidationRecall = ValidationRecall.ToDictionary(p => p.Key, p => p.Value / 100.0) };
}
