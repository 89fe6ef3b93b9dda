using System.Text.Json;
using MLNet.ComposedRetrieval.Modeling;

namespace MLNet.ComposedRetrieval.Training;

/// <summary>
/// The state a killed run needs to resume exactly: the network, the optimiser's momentum buffers, the epoch
/// history and the best epoch's weights, in one folder. Every file is written to a temporary name and renamed, so a
/// crash never leaves a half-written checkpoint; <c>state.json</c> is renamed last and marks the epoch complete.
/// </summary>
internal sealed class TrainingCheckpoint
{
    private const string StateFile = "state.json";
    private const string NetworkFile = "network.bin";
    private const string OptimizerFile = "optimizer.bin";
    private const string BestFile = "best-network.bin";

    public TrainingCheckpoint(string folder) => Folder = folder;

    public string Folder { get; }

    public string BestNetworkPath => Path.Combine(Folder, BestFile);

    public bool Exists => File.Exists(Path.Combine(Folder, StateFile));

    /// <summary>Saves the state after <paramref name="state"/>.CompletedEpochs epochs.</summary>
    public void Save(CheckpointState state, ComposedRetrievalNetwork network, GroupedSgd optimizer, bool isBest)
    {
        Directory.CreateDirectory(Folder);
        WriteAtomically(NetworkFile, stream => network.save(stream));
        WriteAtomically(OptimizerFile, stream =>
        {
            using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            optimizer.SaveState(writer);
        });
        if (isBest) File.Copy(Path.Combine(Folder, NetworkFile), Path.Combine(Folder, BestFile + ".tmp"), overwrite: true);
        if (isBest) File.Move(Path.Combine(Folder, BestFile + ".tmp"), Path.Combine(Folder, BestFile), overwrite: true);
        WriteAtomically(StateFile, stream => JsonSerializer.Serialize(stream, state, JsonOptions));
    }

    /// <summary>Restores network and optimiser and returns the saved state.</summary>
    public CheckpointState Load(ComposedRetrievalNetwork network, GroupedSgd optimizer)
    {
        var statePath = Path.Combine(Folder, StateFile);
        CheckpointState state;
        try
        {
            using var stream = File.OpenRead(statePath);
            state = JsonSerializer.Deserialize<CheckpointState>(stream, JsonOptions)
                    ?? throw new InvalidDataException("empty state");
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            throw new InvalidDataException($"Checkpoint '{statePath}' is unreadable: {e.Message}", e);
        }
        network.load(Path.Combine(Folder, NetworkFile));
        using (var reader = new BinaryReader(File.OpenRead(Path.Combine(Folder, OptimizerFile))))
            optimizer.LoadState(reader);
        return state;
    }

    private void WriteAtomically(string name, Action<Stream> write)
    {
        var path = Path.Combine(Folder, name);
        var temp = path + ".tmp";
        using (var stream = File.Create(temp)) write(stream);
        File.Move(temp, path, overwrite: true);
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };
}

/// <summary>What a checkpoint records besides tensors.</summary>
internal sealed record CheckpointState(
    int CompletedEpochs,
    string OptionsFingerprint,
    List<EpochRecord> History,
    int BestEpoch,
    double BestRecall,
    double? LearnedSigma = null);
