using MLNet.ComposedRetrieval.Training;

namespace MLNet.ComposedRetrieval;

/// <summary>The JSON part of a model file: what the tensors are and how to rebuild and use the model.</summary>
internal sealed record ModelManifest
{
    /// <summary>The version of MLNet.ComposedRetrieval that wrote the file (for information).</summary>
    public string LibraryVersion { get; init; } = "";

    public ModelDescription Model { get; init; } = new();

    public TransformerSettings Settings { get; init; } = new();

    /// <summary>What training did, epoch by epoch (empty for models not trained by this library).</summary>
    public List<EpochRecord> TrainingHistory { get; init; } = [];

    /// <summary>Whether <see cref="TrainingHistory"/> holds validation recall as fractions; files written before
    /// (where the field is absent) hold percentages, turned into fractions when read.</summary>
    public bool ValidationRecallAsFraction { get; init; }

    /// <summary><see cref="TrainingHistory"/> with validation recall as fractions, whichever way the file held it.</summary>
    public IReadOnlyList<EpochRecord> HistoryWithRecallAsFractions() =>
        ValidationRecallAsFraction ? TrainingHistory : TrainingHistory.Select(e => e.WithRecallFromPercent()).ToList();

    /// <summary>Where each tensor's bytes are in the tensor section.</summary>
    public List<TensorEntry> Tensors { get; init; } = [];
}

/// <summary>One tensor of a model file: its name, element type (a TorchSharp ScalarType name), shape, and where its
/// little-endian bytes start in the tensor section and how many there are.</summary>
internal sealed record TensorEntry(string Name, string ElementType, long[] Shape, long Offset, long Length);

/// <summary>The column names and run-time settings of a <see cref="ComposeImageTextTransformer"/>.</summary>
internal sealed record TransformerSettings
{
    public string OutputColumnName { get; init; } = ComposeImageTextEstimator.Defaults.OutputColumnName;
    public string ReferenceImageColumnName { get; init; } = ComposeImageTextEstimator.Defaults.ReferenceImageColumnName;
    public string TextColumnName { get; init; } = ComposeImageTextEstimator.Defaults.TextColumnName;
    public string? ImageFolder { get; init; }
    public int BatchSize { get; init; } = ComposeImageTextEstimator.Defaults.InferenceBatchSize;
}
