using System.Collections;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Pretrained;

/// <summary>
/// Loads and saves a module's <c>state_dict</c> as PyTorch writes it (<c>torch.save(model.state_dict(), "x.pt")</c>,
/// the zip format) or as a <c>.safetensors</c> file, through TorchSharp.PyBridge. Loading is strict and says what
/// differs: it names every missing key, unexpected key and shape mismatch in one error.
/// </summary>
internal static class ModuleCheckpoint
{
    private const int MaxNamesShown = 25;

    /// <summary>
    /// Copies the tensors of the checkpoint at <paramref name="path"/> into <paramref name="module"/>'s parameters
    /// and buffers (format detected from the content). With <paramref name="keyPrefix"/> (e.g. <c>"backbone."</c> or
    /// DataParallel's <c>"module."</c>) only keys starting with it are used, with the prefix removed. A checkpoint
    /// that wraps its state dict under <c>"state_dict"</c> or <c>"model"</c> is unwrapped. BatchNorm's
    /// <c>num_batches_tracked</c> may be absent (older PyTorch files lack it; eval ignores it).
    /// </summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a readable checkpoint, or its keys or shapes do not
    /// match the module (the message lists them).</exception>
    public static void Load(nn.Module module, string path, string? keyPrefix = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var scope = NewDisposeScope();
        var state = Read(path, keyPrefix);
        Load(module, state, keyPrefix is null ? path : $"{path} (keys under '{keyPrefix}')");
    }

    /// <summary>Writes <paramref name="module"/>'s state dict: safetensors when the path ends in
    /// <c>.safetensors</c>, else PyTorch's zip format (readable by <c>torch.load</c>).</summary>
    public static void Save(nn.Module module, string path)
    {
        ArgumentNullException.ThrowIfNull(module);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)) module.save_safetensors(path);
        else module.save_py(path);
    }

    /// <summary>The checkpoint's tensors by key (prefix selected and removed); they belong to the caller's
    /// dispose scope.</summary>
    public static Dictionary<string, Tensor> Read(string path, string? keyPrefix = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint '{path}' does not exist.", path);
        var state = Format(path) switch
        {
            CheckpointFormat.Safetensors => Safetensors.LoadStateDict(path),
            CheckpointFormat.PyTorchZip => FromPickle(PyTorchUnpickler.UnpickleStateDict(path), path),
            _ => throw new InvalidDataException(
                $"'{path}' is neither a PyTorch zip checkpoint nor a safetensors file. Files from torch.save before " +
                "PyTorch 1.6 use an older format: re-save them with a current PyTorch."),
        };
        return keyPrefix is null ? state : SelectPrefix(state, keyPrefix, path);
    }

    /// <summary>Copies <paramref name="state"/> into the module after checking that keys and shapes match exactly;
    /// <paramref name="source"/> names the checkpoint in error messages.</summary>
    public static void Load(nn.Module module, IReadOnlyDictionary<string, Tensor> state, string source)
    {
        var targets = module.state_dict();
        var missing = targets.Keys.Where(k => !state.ContainsKey(k) && !IsOptional(k)).ToList();
        var unexpected = state.Keys.Where(k => !targets.ContainsKey(k)).ToList();
        var mismatched = targets.Where(t => state.TryGetValue(t.Key, out var s) && !s.shape.SequenceEqual(t.Value.shape))
            .Select(t => $"{t.Key}: checkpoint [{string.Join(", ", state[t.Key].shape)}], module [{string.Join(", ", t.Value.shape)}]")
            .ToList();
        if (missing.Count + unexpected.Count + mismatched.Count > 0)
            throw new InvalidDataException(
                $"Checkpoint '{source}' does not match module '{module.GetName()}':" +
                Describe("missing keys", missing) + Describe("unexpected keys", unexpected) +
                Describe("shape mismatches", mismatched));

        using var noGrad = no_grad();
        foreach (var (key, target) in targets)
            if (state.TryGetValue(key, out var value)) target.copy_(value);
    }

    /// <summary>The counter BatchNorm keeps for momentum-less averaging; PyTorch tolerates its absence too.</summary>
    private static bool IsOptional(string key) => key.EndsWith("num_batches_tracked", StringComparison.Ordinal);

    private static string Describe(string what, List<string> names) =>
        names.Count == 0 ? ""
            : $"{Environment.NewLine}  {names.Count} {what}: {string.Join(", ", names.Take(MaxNamesShown))}" +
              (names.Count > MaxNamesShown ? $", ... ({names.Count - MaxNamesShown} more)" : "");

    private static Dictionary<string, Tensor> SelectPrefix(Dictionary<string, Tensor> state, string prefix, string path)
    {
        var selected = state.Where(e => e.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(e => e.Key[prefix.Length..], e => e.Value, StringComparer.Ordinal);
        if (selected.Count == 0)
            throw new InvalidDataException(
                $"Checkpoint '{path}' has no key starting with '{prefix}'; its keys begin: " +
                string.Join(", ", state.Keys.Take(5)) + (state.Count > 5 ? ", ..." : ""));
        return selected;
    }

    /// <summary>PyBridge returns the pickled root object; a training checkpoint may nest the state dict.</summary>
    private static Dictionary<string, Tensor> FromPickle(Hashtable root, string path)
    {
        foreach (var wrapper in new[] { "state_dict", "model" })
            if (root[wrapper] is Hashtable nested) return FromPickle(nested, path);

        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var notTensors = new List<string>();
        foreach (DictionaryEntry entry in root)
        {
            if (entry.Value is Tensor t) state[(string)entry.Key] = t;
            else notTensors.Add($"{entry.Key} ({entry.Value?.GetType().Name ?? "null"})");
        }
        if (notTensors.Count > 0)
            throw new InvalidDataException(
                $"'{path}' is not a plain state dict: {notTensors.Count} entries are not tensors: {string.Join(", ", notTensors.Take(MaxNamesShown))}.");
        return state;
    }

    private enum CheckpointFormat { Unknown, PyTorchZip, Safetensors }

    /// <summary>Zip files start with "PK\x03\x04"; safetensors with a little-endian header length, then '{'.</summary>
    private static CheckpointFormat Format(string path)
    {
        Span<byte> head = stackalloc byte[9];
        using (var stream = File.OpenRead(path))
        {
            if (stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) < head.Length) return CheckpointFormat.Unknown;
        }
        if (head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) return CheckpointFormat.PyTorchZip;
        ulong headerLength = BitConverter.ToUInt64(head[..8]);
        return head[8] == '{' && headerLength > 0 && (long)headerLength < new FileInfo(path).Length
            ? CheckpointFormat.Safetensors
            : CheckpointFormat.Unknown;
    }
}
