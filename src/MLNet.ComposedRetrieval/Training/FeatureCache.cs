using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Training;

/// <summary>
/// Per-item features of a frozen encoder (backbone maps per image, sentence features per text), computed once and
/// kept on disk in half precision so later runs skip the encoder. The folder name is a hash of
/// <see cref="Key"/>, which must change with everything that changes the features (encoder, weights, resolution,
/// preprocessing); the manifest keeps the full key and is checked on open.
/// </summary>
/// <remarks>
/// Entries are written in chunks; each chunk's data file is renamed into place before its id list, so an
/// interrupted extraction leaves only whole chunks and resumes with the ids that are missing.
/// </remarks>
internal sealed class FeatureCache
{
    private const string Manifest = "manifest.txt";
    private readonly List<Half[]> _chunks = [];
    private readonly Dictionary<string, (int Chunk, int Row)> _rows = new(StringComparer.Ordinal);
    private int _nextChunk;

    private FeatureCache(string folder, string key, long[] itemShape)
    {
        Folder = folder;
        Key = key;
        ItemShape = itemShape;
        ItemSize = (int)itemShape.Aggregate(1L, (a, b) => a * b);
    }

    public string Folder { get; }
    public string Key { get; }
    public long[] ItemShape { get; }
    public int ItemSize { get; }
    public int Count => _rows.Count;

    /// <summary>Opens (or creates) the cache for <paramref name="key"/> under <paramref name="root"/> and loads
    /// every complete chunk.</summary>
    public static FeatureCache Open(string root, string key, long[] itemShape)
    {
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..20].ToLowerInvariant();
        var folder = Path.Combine(root, hash);
        Directory.CreateDirectory(folder);
        var manifestPath = Path.Combine(folder, Manifest);
        var manifest = $"{key}\nshape={string.Join(",", itemShape)}\n";
        if (File.Exists(manifestPath))
        {
            var existing = File.ReadAllText(manifestPath);
            if (existing != manifest)
                throw new InvalidDataException($"Feature cache '{folder}' was written for a different key or shape:\n{existing}");
        }
        else
        {
            WriteAtomically(manifestPath, Encoding.UTF8.GetBytes(manifest));
        }

        var cache = new FeatureCache(folder, key, itemShape);
        cache.LoadChunks();
        return cache;
    }

    public bool Contains(string id) => _rows.ContainsKey(id);

    /// <summary>The distinct ids of <paramref name="ids"/> that have no features yet, in first-seen order.</summary>
    public IReadOnlyList<string> Missing(IEnumerable<string> ids) =>
        ids.Distinct(StringComparer.Ordinal).Where(id => !_rows.ContainsKey(id)).ToList();

    /// <summary>
    /// Computes and stores the features of every missing id, <paramref name="batchSize"/> at a time, one chunk per
    /// <paramref name="chunkSize"/> items, reporting progress with an ETA. Cancelling keeps every finished chunk.
    /// </summary>
    public void Fill(IEnumerable<string> ids, Func<IReadOnlyList<string>, Tensor> compute, int batchSize,
        IProgress<WorkProgress>? progress = null, string stage = "features", int chunkSize = 2048,
        CancellationToken cancellationToken = default)
    {
        var missing = Missing(ids);
        if (missing.Count == 0) return;
        var clock = Stopwatch.StartNew();
        for (int start = 0; start < missing.Count; start += chunkSize)
        {
            var chunkIds = missing.Skip(start).Take(chunkSize).ToList();
            var values = new Half[chunkIds.Count * ItemSize];
            for (int b = 0; b < chunkIds.Count; b += batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var batch = chunkIds.Skip(b).Take(batchSize).ToList();
                using (var scope = NewDisposeScope())
                {
                    var features = compute(batch).detach().to(ScalarType.Float32).cpu().contiguous();
                    if (features.numel() != (long)batch.Count * ItemSize)
                        throw new InvalidOperationException(
                            $"The encoder returned shape [{string.Join(", ", features.shape)}] for {batch.Count} items; " +
                            $"the cache expects [{batch.Count}, {string.Join(", ", ItemShape)}].");
                    var floats = features.data<float>().ToArray();
                    var target = values.AsSpan(b * ItemSize, floats.Length);
                    for (int i = 0; i < floats.Length; i++) target[i] = (Half)floats[i];
                }
                progress?.Report(new WorkProgress(stage, start + b + batch.Count, missing.Count, clock.Elapsed));
            }
            WriteChunk(chunkIds, values);
        }
    }

    /// <summary>The features of <paramref name="ids"/> as a float32 tensor [B, ...ItemShape].</summary>
    public Tensor Load(IReadOnlyList<string> ids)
    {
        var buffer = new float[ids.Count * ItemSize];
        for (int i = 0; i < ids.Count; i++)
        {
            if (!_rows.TryGetValue(ids[i], out var place))
                throw new KeyNotFoundException($"Feature cache '{Folder}' has no entry for '{ids[i]}'.");
            var source = _chunks[place.Chunk].AsSpan(place.Row * ItemSize, ItemSize);
            var target = buffer.AsSpan(i * ItemSize, ItemSize);
            for (int k = 0; k < ItemSize; k++) target[k] = (float)source[k];
        }
        return tensor(buffer, [ids.Count, .. ItemShape]);
    }

    private void WriteChunk(IReadOnlyList<string> ids, Half[] values)
    {
        var name = $"chunk-{_nextChunk:D5}";
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        WriteAtomically(Path.Combine(Folder, name + ".f16"), bytes);
        WriteAtomically(Path.Combine(Folder, name + ".ids"), System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(ids));
        AddChunk(ids, values);
    }

    private void LoadChunks()
    {
        foreach (var idsPath in Directory.GetFiles(Folder, "chunk-*.ids").Order(StringComparer.Ordinal))
        {
            var dataPath = Path.ChangeExtension(idsPath, ".f16");
            var ids = System.Text.Json.JsonSerializer.Deserialize<string[]>(File.ReadAllBytes(idsPath))
                      ?? throw new InvalidDataException($"Feature cache chunk '{idsPath}' is empty; delete the folder to rebuild it.");
            var bytes = File.ReadAllBytes(dataPath);
            if (bytes.Length != ids.Length * ItemSize * 2)
                throw new InvalidDataException($"Feature cache chunk '{dataPath}' has {bytes.Length} bytes for {ids.Length} items; delete the folder to rebuild it.");
            var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(bytes).ToArray();
            AddChunk(ids, values);
        }
    }

    private void AddChunk(IReadOnlyList<string> ids, Half[] values)
    {
        int chunk = _chunks.Count;
        _chunks.Add(values);
        for (int row = 0; row < ids.Count; row++) _rows[ids[row]] = (chunk, row);
        _nextChunk = chunk + 1;
    }

    private static void WriteAtomically(string path, byte[] bytes)
    {
        var temp = path + "." + Environment.ProcessId + ".tmp";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
    }
}
