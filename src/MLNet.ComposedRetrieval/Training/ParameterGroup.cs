using TorchSharp.Modules;

namespace MLNet.ComposedRetrieval.Training;

/// <summary>
/// Parameters trained at <see cref="LearningRateMultiplier"/> times the base learning rate (docs/method.md "Training":
/// the pretrained text encoder at 0.01, everything else at 1).
/// </summary>
/// <param name="Name">A name for messages and logs, for example "text encoder".</param>
/// <param name="Parameters">The group's parameters.</param>
/// <param name="LearningRateMultiplier">Factor on the base learning rate, &gt;= 0.</param>
internal sealed record ParameterGroup(string Name, IReadOnlyList<Parameter> Parameters, double LearningRateMultiplier = 1.0);
