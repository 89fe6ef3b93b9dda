using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using MLNet.ComposedRetrieval.Storage;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Training;

/// <summary>
/// Per-item features of a frozen encoder (backbone maps per image, sentence features per text), or per-image
/// embeddings of a trained model, computed once and kept on disk (in half precision by default: features are many
/// and large; <see cref="FeaturePrecision.Single"/> keeps float32 where exact values matter) so later runs skip the
/// encoder. The folder name is a hash of
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
    private readonly List<byte[]> _chunks = [];
    private readonly Dictionary<string, (int Chunk, int Row)> _rows = new(StringComparer.Ordinal);
    private int _nextChunk;

    private FeatureCache(string folder, string key, long[] itemShape, FeaturePrecision precision)
    {
        Folder = folder;
        Key = key;
        ItemShape = itemShape;
        Precision = precision;
        ItemSize = (int)itemShape.Aggregate(1L, (a, b) => a * b);
    }

    public string Folder { get; }
    public string Key { get; }
    public long[] ItemShape { get; }
    public int ItemSize { get; }
    public int Count => _rows.Count;

    /// <summary>How values are stored (they are always returned as float32).</summary>
    public FeaturePrecision Precision { get; }

    private int ElementSize => Precision == FeaturePrecision.Single ? sizeof(float) : 2;

    private string DataExtension => Precision == FeaturePrecision.Single ? ".f32" : ".f16";

    /// <summary>Opens (or creates) the cache for <paramref name="key"/> under <paramref name="root"/> and loads
    /// every complete chunk.</summary>
    public static FeatureCache Open(string root, string key, long[] itemShape, FeaturePrecision precision = FeaturePrecision.Half)
    {
        // Half-precision caches keep the folder name and manifest they had before precision was a choice.
        var precisionLine = precision == FeaturePrecision.Single ? "precision=fp32\n" : "";
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key + precisionLine)))[..20].ToLowerInvariant();
        var folder = Path.Combine(root, hash);
        Directory.CreateDirectory(folder);
        var manifestPath = Path.Combine(folder, Manifest);
        var manifest = $"{key}\nshape={string.Join(",", itemShape)}\n{precisionLine}";
        if (File.Exists(manifestPath))
        {
            var existing = File.ReadAllText(manifestPath);
            if (existing != manifest)
                throw new InvalidDataException($"Feature cache '{folder}' was written for a different key or shape:\n{existing}");
        }
        else
        {
            AtomicFile.WriteAllBytes(manifestPath, Encoding.UTF8.GetBytes(manifest));
        }

        var cache = new FeatureCache(folder, key, itemShape, precision);
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
        foreach (var chunk in BatchRanges.Of(missing.Count, chunkSize))
        {
            var chunkIds = missing.Take(chunk).ToList();
            var values = new byte[chunkIds.Count * ItemSize * ElementSize];
            foreach (var range in BatchRanges.Of(chunkIds.Count, batchSize))
            {
                cancellationToken.ThrowIfCancellationRequested();
                int b = range.Start.Value;
                var batch = chunkIds.Take(range).ToList();
                using (var scope = NewDisposeScope())
                {
                    var features = compute(batch).detach().to(ScalarType.Float32).cpu().contiguous();
                    if (features.numel() != (long)batch.Count * ItemSize)
                        throw new InvalidOperationException(
                            $"The encoder returned shape [{string.Join(", ", features.shape)}] for {batch.Count} items; " +
                            $"the cache expects [{batch.Count}, {string.Join(", ", ItemShape)}].");
                    var floats = features.data<float>().ToArray();
                    var target = values.AsSpan(b * ItemSize * ElementSize, floats.Length * ElementSize);
                    if (Precision == FeaturePrecision.Single)
                        MemoryMarshal.AsBytes(floats.AsSpan()).CopyTo(target);
                    else
                    {
                        var halves = MemoryMarshal.Cast<byte, Half>(target);
                        for (int i = 0; i < floats.Length; i++) halves[i] = (Half)floats[i];
                    }
                }
                progress?.Report(new WorkProgress(stage, chunk.Start.Value + b + batch.Count, missing.Count, clock.Elapsed));
            }
            WriteChunk(chunkIds, values);
        }
    }

    /// <summary>The features of <paramref name="ids"/> as a float32 tensor [B, ...ItemShape].</summary>
    public Tensor Load(IReadOnlyList<string> ids)
    {
        // Filled in the tensor's own memory: a managed buffer per batch (megabytes each) would go to the large-object
        // heap on every training step.
        var result = empty([ids.Count, .. ItemShape], ScalarType.Float32);
        if (ids.Count == 0) return result;
        try
        {
            var buffer = MemoryMarshal.Cast<byte, float>(result.bytes);
            for (int i = 0; i < ids.Count; i++)
            {
                if (!_rows.TryGetValue(ids[i], out var place))
                    throw new KeyNotFoundException($"Feature cache '{Folder}' has no entry for '{ids[i]}'.");
                var source = _chunks[place.Chunk].AsSpan(place.Row * ItemSize * ElementSize, ItemSize * ElementSize);
                var target = buffer.Slice(i * ItemSize, ItemSize);
                if (Precision == FeaturePrecision.Single)
                {
                    MemoryMarshal.Cast<byte, float>(source).CopyTo(target);
                    continue;
                }
                var halves = MemoryMarshal.Cast<byte, Half>(source);
                for (int k = 0; k < ItemSize; k++) target[k] = (float)halves[k];
            }
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    private void WriteChunk(IReadOnlyList<string> ids, byte[] values)
    {
        var name = $"chunk-{_nextChunk:D5}";
        AtomicFile.WriteAllBytes(Path.Combine(Folder, name + DataExtension), values);
        AtomicFile.WriteAllBytes(Path.Combine(Folder, name + ".ids"), System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(ids));
        AddChunk(ids, values);
    }

    private void LoadChunks()
    {
        foreach (var idsPath in Directory.GetFiles(Folder, "chunk-*.ids").Order(StringComparer.Ordinal))
        {
            var dataPath = Path.ChangeExtension(idsPath, DataExtension);
            var ids = System.Text.Json.JsonSerializer.Deserialize<string[]>(File.ReadAllBytes(idsPath))
                      ?? throw new InvalidDataException($"Feature cache chunk '{idsPath}' is empty; delete the folder to rebuild it.");
            var bytes = File.ReadAllBytes(dataPath);
            if (bytes.Length != ids.Length * ItemSize * ElementSize)
                throw new InvalidDataException($"Feature cache chunk '{dataPath}' has {bytes.Length} bytes for {ids.Length} items; delete the folder to rebuild it.");
            AddChunk(ids, bytes);
        }
    }

    private void AddChunk(IReadOnlyList<string> ids, byte[] values)
    {
        int chunk = _chunks.Count;
        _chunks.Add(values);
        for (int row = 0; row < ids.Count; row++) _rows[ids[row]] = (chunk, row);
        _nextChunk = chunk + 1;
    }
}
