using System.Globalization;
using System.Text.Json;
using MLNet.ComposedRetrieval.Modeling;
using MLNet.ComposedRetrieval.Storage;

namespace MLNet.ComposedRetrieval.Training;

/// <summary>
/// The state a killed run needs to resume exactly: the network, the optimiser's momentum buffers, the epoch history
/// and the best epoch's weights. Each epoch's files go to a folder of their own (<c>epoch-0003/</c>: network.bin,
/// optimizer.bin, state.json); the epoch is committed by atomically replacing the pointer file <c>checkpoint.json</c>
/// that names it, so a kill at any moment leaves either the previous epoch or the new one, whole. Then the folders
/// no longer needed are deleted: the committed epoch's and the best epoch's (whose network.bin holds the best
/// weights) are kept, so the disk holds at most three epochs' files, during a save.
/// </summary>
internal sealed class TrainingCheckpoint
{
    /// <summary>3: validation recall as fractions; 2 (read too): in percent.</summary>
    private const int FormatVersion = 3;
    private const int PercentRecallFormatVersion = 2;
    private const string PointerFile = "checkpoint.json";
    private const string EpochFolderPrefix = "epoch-";
    private const string StateFile = "state.json";
    private const string NetworkFile = "network.bin";
    private const string OptimizerFile = "optimizer.bin";

    /// <summary>The files of the format before <see cref="FormatVersion"/> 2, which replaced them in place one by one.</summary>
    private const string LegacyStateFile = "state.json";
    private static readonly string[] LegacyFiles = [LegacyStateFile, "network.bin", "optimizer.bin", "best-network.bin"];

    public TrainingCheckpoint(string folder) => Folder = folder;

    public string Folder { get; }

    /// <summary>
    /// For tests: called after each step of <see cref="Save"/> with the step's name (a file name, or "cleanup") and the
    /// epoch being saved; throwing from it leaves the folder as a kill at that point would.
    /// </summary>
    internal Action<string, int>? AfterSaveStep { get; init; }

    /// <summary>True when the folder holds a checkpoint to resume (or one of an older format, which Load refuses).</summary>
    public bool Exists => File.Exists(Path.Combine(Folder, PointerFile)) || File.Exists(Path.Combine(Folder, LegacyStateFile));

    /// <summary>The network file of the best epoch of the committed checkpoint, or null when there is none.</summary>
    public string? BestNetworkPath
    {
        get
        {
            if (ReadPointer() is not { } pointer) return null;
            var state = ReadState(pointer);
            if (state.BestEpoch < 0) return null;
            var path = Path.Combine(EpochFolder(state.BestEpoch + 1), NetworkFile);
            return File.Exists(path) ? path : null;
        }
    }

    /// <summary>Saves and commits the state after <paramref name="state"/>.CompletedEpochs epochs.</summary>
    public void Save(CheckpointState state, ComposedRetrievalNetwork network, GroupedSgd optimizer)
    {
        int epoch = state.CompletedEpochs;
        if (ReadPointer()?.CompletedEpochs == epoch)
            throw new InvalidOperationException($"Checkpoint '{Folder}' already holds epoch {epoch}.");
        // A folder of this epoch is left over from a save a kill interrupted: never committed, so never read.
        var folder = EpochFolder(epoch);
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.CreateDirectory(folder);

        Step(NetworkFile, () => WriteBinary(Path.Combine(folder, NetworkFile), writer => network.save(writer)));
        Step(OptimizerFile, () => WriteBinary(Path.Combine(folder, OptimizerFile), optimizer.SaveState));
        Step(StateFile, () => AtomicFile.Write(Path.Combine(folder, StateFile), stream => JsonSerializer.Serialize(stream, state, JsonOptions)));
        Step(PointerFile, () => AtomicFile.Write(Path.Combine(Folder, PointerFile),
            stream => JsonSerializer.Serialize(stream, new CheckpointPointer(FormatVersion, epoch), JsonOptions)));
        Step("cleanup", () => DeleteEpochFoldersExcept(epoch, state.BestEpoch + 1));

        void Step(string name, Action action)
        {
            action();
            AfterSaveStep?.Invoke(name, epoch);
        }
    }

    /// <summary>Restores network and optimiser from the committed epoch and returns its state.</summary>
    /// <exception cref="InvalidDataException">The folder holds a checkpoint of an older format, or an inconsistent one.</exception>
    public CheckpointState Load(ComposedRetrievalNetwork network, GroupedSgd optimizer)
    {
        var pointer = ReadPointer() ?? throw new InvalidDataException(
            $"Checkpoint folder '{Folder}' was written by an earlier version of MLNet.ComposedRetrieval, which replaced its files " +
            "one by one (a kill between them leaves epochs mixed), so it is not resumed. Delete the folder (or use another) to " +
            "train from the start.");
        var state = ReadState(pointer);
        var epoch = pointer.CompletedEpochs;
        var folder = EpochFolder(epoch);
        var bestNetwork = Path.Combine(EpochFolder(state.BestEpoch + 1), NetworkFile);
        if (state.BestEpoch >= 0 && !File.Exists(bestNetwork))
            throw new InvalidDataException($"Checkpoint '{Folder}' is incomplete: the best epoch's weights ('{bestNetwork}') are missing.");
        network.load(Path.Combine(folder, NetworkFile));
        using (var reader = new BinaryReader(File.OpenRead(Path.Combine(folder, OptimizerFile))))
            optimizer.LoadState(reader);
        // A kill after the commit but before the clean-up left folders behind; a finished run saves no more to remove them.
        DeleteEpochFoldersExcept(epoch, state.BestEpoch + 1);
        return state;
    }

    /// <summary>Writes through a writer that leaves the stream open: <see cref="AtomicFile"/> flushes it to disk after.</summary>
    private static void WriteBinary(string path, Action<BinaryWriter> write) =>
        AtomicFile.Write(path, stream =>
        {
            using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            write(writer);
        });

    private string EpochFolder(int completedEpochs) =>
        Path.Combine(Folder, EpochFolderPrefix + completedEpochs.ToString("D4", CultureInfo.InvariantCulture));

    /// <summary>The committed epoch and its format, or null when there is no pointer file.</summary>
    private CheckpointPointer? ReadPointer()
    {
        var path = Path.Combine(Folder, PointerFile);
        if (!File.Exists(path)) return null;
        var pointer = ReadJson<CheckpointPointer>(path);
        if (pointer.FormatVersion is not (FormatVersion or PercentRecallFormatVersion))
            throw new InvalidDataException($"Checkpoint '{path}' is of format version {pointer.FormatVersion}; this version reads {PercentRecallFormatVersion} and {FormatVersion}.");
        return pointer;
    }

    private CheckpointState ReadState(CheckpointPointer pointer)
    {
        var state = ReadState(pointer.CompletedEpochs);
        if (pointer.FormatVersion != PercentRecallFormatVersion || !state.History.Any(e => e.ValidationRecall.Count > 0)) return state;
        // Without validation BestRecall is an epoch number, not a recall: only a validated run's is converted.
        return state with { History = state.History.Select(e => e.WithRecallFromPercent()).ToList(), BestRecall = state.BestRecall / 100.0 };
    }

    private CheckpointState ReadState(int epoch)
    {
        var path = Path.Combine(EpochFolder(epoch), StateFile);
        if (!File.Exists(path)) throw new InvalidDataException($"Checkpoint '{Folder}' is incomplete: '{path}' is missing.");
        var state = ReadJson<CheckpointState>(path);
        if (state.CompletedEpochs != epoch || state.History.Count != epoch || state.BestEpoch < -1 || state.BestEpoch >= epoch)
            throw new InvalidDataException($"Checkpoint '{path}' does not describe epoch {epoch}, the one '{PointerFile}' names.");
        return state;
    }

    private static T ReadJson<T>(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<T>(stream, JsonOptions) ?? throw new InvalidDataException("it holds null");
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            throw new InvalidDataException($"Checkpoint '{path}' is unreadable: {e.Message}", e);
        }
    }

    /// <summary>Deletes the epoch folders no longer needed, temporary files a kill left, and files of the older format.</summary>
    private void DeleteEpochFoldersExcept(int committed, int best)
    {
        foreach (var name in LegacyFiles) File.Delete(Path.Combine(Folder, name));
        foreach (var temporary in Directory.EnumerateFiles(Folder, "*" + AtomicFile.TemporarySuffix)) File.Delete(temporary);
        foreach (var folder in Directory.EnumerateDirectories(Folder, EpochFolderPrefix + "*"))
        {
            var name = Path.GetFileName(folder);
            if (name == Path.GetFileName(EpochFolder(committed)) || name == Path.GetFileName(EpochFolder(best))) continue;
            Directory.Delete(folder, recursive: true);
        }
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };
}

/// <summary>The content of the pointer file: the epoch whose folder is the checkpoint.</summary>
internal sealed record CheckpointPointer(int FormatVersion, int CompletedEpochs);

/// <summary>What a checkpoint records besides tensors.</summary>
internal sealed record CheckpointState(
    int CompletedEpochs,
    string OptionsFingerprint,
    List<EpochRecord> History,
    int BestEpoch,
    double BestRecall,
    double? LearnedSigma = null);
