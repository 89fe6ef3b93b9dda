using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// The state dict of a model loaded from a file, kept as nothing but the file's path, where the model starts in it and
/// its checksum: saving reads the tensors again, so a loaded model holds its weights once, in its inference form.
/// </summary>
internal sealed class ModelFileWeights : ModelWeights
{
    private readonly string _path;
    private readonly long _offset;
    private readonly string _checksum;
    private readonly IReadOnlySet<string> _excluded;

    /// <param name="path">The model file.</param>
    /// <param name="offset">Where the model starts in it.</param>
    /// <param name="checksum">The checksum it had when the model was loaded (hex).</param>
    /// <param name="excluded">Tensors of the file that are not the network's (the preprocessing's mean image).</param>
    public ModelFileWeights(string path, long offset, string checksum, IReadOnlySet<string> excluded)
    {
        _path = path;
        _offset = offset;
        _checksum = checksum;
        _excluded = excluded;
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The file is gone, unreadable, or no longer holds the loaded model.</exception>
    public override T Use<T>(Func<IReadOnlyList<(string Name, Tensor Value)>, T> use)
    {
        ModelManifest manifest;
        Dictionary<string, Tensor> tensors;
        string checksum;
        try
        {
            using var stream = File.OpenRead(_path);
            stream.Position = _offset;
            (manifest, tensors) = ModelFile.Read(stream, _path, out checksum);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw Changed($"reading it again failed: {e.Message}", e);
        }
        try
        {
            if (checksum != _checksum) throw Changed("its checksum differs", null);
            return use(manifest.Tensors.Where(entry => !_excluded.Contains(entry.Name)).Select(entry => (entry.Name, tensors[entry.Name])).ToList());
        }
        finally
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
        }
    }

    /// <inheritdoc/>
    public override void Dispose() { }

    private InvalidOperationException Changed(string how, Exception? inner) => new(
        $"This model keeps its weights in the file it was loaded from, '{_path}', to hold them in memory once; that file no " +
        $"longer holds the model ({how}). Save a model before replacing the file it was loaded from, or load it again.", inner);
}
