using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// The one-file format of a trained model. Layout (integers little-endian):
/// <code>
/// 8 bytes   magic "MLNETCR\n"
/// int32     format version (<see cref="FormatVersion"/>)
/// int64     manifest length n
/// n bytes   manifest, UTF-8 JSON (<see cref="ModelManifest"/>)
/// ...       tensor section: each tensor's raw bytes, at the offsets the manifest gives
/// 32 bytes  SHA-256 of everything before it
/// </code>
/// Reading checks magic, version, length and checksum before it parses anything, so a foreign, truncated or corrupt
/// file gives an <see cref="InvalidDataException"/> naming the problem, never a crash in native code.
/// </summary>
internal static class ModelFile
{
    /// <summary>The format this library writes and reads.</summary>
    public const int FormatVersion = 1;

    private const int HeaderLength = 8 + 4 + 8;
    private const int ChecksumLength = 32;
    private static ReadOnlySpan<byte> Magic => "MLNETCR\n"u8;

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = false,
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes the manifest (its tensor list is filled here) and the tensors.</summary>
    /// <returns>The SHA-256 the file ends with (hex), as <see cref="ReadChecksum"/> reads it.</returns>
    public static string Write(Stream stream, ModelManifest manifest, IReadOnlyList<(string Name, Tensor Value)> tensors)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Model files are written on little-endian machines only.");
        var entries = new List<TensorEntry>(tensors.Count);
        long offset = 0;
        foreach (var (name, value) in tensors)
        {
            long length = value.numel() * value.ElementSize;
            entries.Add(new TensorEntry(name, value.dtype.ToString(), value.shape, offset, length));
            offset += length;
        }
        var json = JsonSerializer.SerializeToUtf8Bytes(manifest with { Tensors = entries }, Json);

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> header = stackalloc byte[HeaderLength];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], FormatVersion);
        BinaryPrimitives.WriteInt64LittleEndian(header[12..], json.LongLength);
        void Put(ReadOnlySpan<byte> bytes)
        {
            stream.Write(bytes);
            hash.AppendData(bytes);
        }
        Put(header);
        Put(json);
        foreach (var (_, value) in tensors)
        {
            if (value.numel() == 0) continue;
            using var cpu = value.detach().cpu().contiguous();
            Put(cpu.bytes);
        }
        var checksum = hash.GetHashAndReset();
        stream.Write(checksum);
        return Convert.ToHexString(checksum).ToLowerInvariant();
    }

    /// <summary>Reads and checks a model file; the caller disposes the tensors.</summary>
    /// <param name="stream">The file's content, read to its end.</param>
    /// <param name="source">Names the file in error messages.</param>
    /// <exception cref="InvalidDataException">Not a model file, another format version, truncated or corrupt.</exception>
    public static (ModelManifest Manifest, Dictionary<string, Tensor> Tensors) Read(Stream stream, string source) =>
        Read(stream, source, out _);

    /// <summary><see cref="Read(Stream, string)"/>, also giving the file's verified SHA-256 (hex).</summary>
    public static (ModelManifest Manifest, Dictionary<string, Tensor> Tensors) Read(Stream stream, string source, out string checksumHex)
    {
        byte[] bytes;
        if (stream.CanSeek)
        {
            bytes = new byte[stream.Length - stream.Position];
            stream.ReadExactly(bytes);
        }
        else
        {
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            bytes = copy.ToArray();
        }
        if (bytes.Length < Magic.Length || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new InvalidDataException($"'{source}' is not an MLNet.ComposedRetrieval model file (it does not start with the model file signature).");
        if (bytes.Length < HeaderLength + ChecksumLength)
            throw new InvalidDataException($"'{source}' is truncated: {bytes.Length} bytes is less than a model file's header.");
        int version = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        if (version != FormatVersion)
            throw new InvalidDataException(
                $"'{source}' is a model file of format version {version}; this version of MLNet.ComposedRetrieval " +
                $"({LibraryVersion}) reads format version {FormatVersion}." +
                (version > FormatVersion ? " Load it with the newer MLNet.ComposedRetrieval that wrote it." : ""));
        long manifestLength = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(12));
        long contentLength = bytes.LongLength - ChecksumLength;
        if (manifestLength < 0 || HeaderLength + manifestLength > contentLength)
            throw new InvalidDataException($"'{source}' is truncated or corrupt: its manifest of {manifestLength} bytes does not fit in {bytes.Length} bytes.");
        var checksum = SHA256.HashData(bytes.AsSpan(0, (int)contentLength));
        if (!checksum.AsSpan().SequenceEqual(bytes.AsSpan((int)contentLength, ChecksumLength)))
            throw new InvalidDataException($"'{source}' is truncated or corrupt: its SHA-256 checksum does not match its content.");
        checksumHex = Convert.ToHexString(checksum).ToLowerInvariant();

        ModelManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ModelManifest>(bytes.AsSpan(HeaderLength, (int)manifestLength), Json)
                       ?? throw new JsonException("the manifest is null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{source}' has an unreadable manifest: {e.Message}", e);
        }

        long tensorStart = HeaderLength + manifestLength;
        long tensorLength = contentLength - tensorStart;
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var entry in manifest.Tensors)
            {
                if (tensors.ContainsKey(entry.Name))
                    throw new InvalidDataException($"'{source}' lists tensor '{entry.Name}' twice.");
                tensors[entry.Name] = ReadTensor(entry, bytes.AsSpan((int)tensorStart, (int)tensorLength), source);
            }
        }
        catch
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
            throw;
        }
        return (manifest, tensors);
    }

    /// <summary>
    /// The SHA-256 a model file ends with (hex), read without loading the file: it identifies the file's content, so
    /// caches of what a model computed can key on it. Not verified here (<see cref="Read(Stream, string)"/> verifies it).
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a model file or is too short to hold a checksum.</exception>
    public static string ReadChecksum(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[8];
        if (stream.Length < HeaderLength + ChecksumLength || stream.Read(magic) != magic.Length || !magic.SequenceEqual(Magic))
            throw new InvalidDataException($"'{path}' is not an MLNet.ComposedRetrieval model file (it does not start with the model file signature).");
        Span<byte> checksum = stackalloc byte[ChecksumLength];
        stream.Seek(-ChecksumLength, SeekOrigin.End);
        stream.ReadExactly(checksum);
        return Convert.ToHexString(checksum).ToLowerInvariant();
    }

    /// <summary>The informational version of this library.</summary>
    public static string LibraryVersion =>
        typeof(ModelFile).Assembly.GetName().Version?.ToString() ?? "unknown";

    private static Tensor ReadTensor(TensorEntry entry, Span<byte> section, string source)
    {
        if (!Enum.TryParse<ScalarType>(entry.ElementType, out var type) || !Enum.IsDefined(type))
            throw new InvalidDataException($"'{source}': tensor '{entry.Name}' has an unknown element type '{entry.ElementType}'.");
        if (entry.Shape is null || entry.Shape.Any(d => d < 0))
            throw new InvalidDataException($"'{source}': tensor '{entry.Name}' has an invalid shape.");
        if (entry.Offset < 0 || entry.Length < 0 || entry.Offset + entry.Length > section.Length)
            throw new InvalidDataException($"'{source}': tensor '{entry.Name}' lies outside the file's tensor section.");
        long elementSize;
        using (var probe = empty([0], type)) elementSize = probe.ElementSize;
        long expected = elementSize;
        foreach (var size in entry.Shape)
            expected = size == 0 || expected <= section.Length / size ? expected * size : long.MaxValue;
        if (expected != entry.Length)
            throw new InvalidDataException(
                $"'{source}': tensor '{entry.Name}' [{string.Join(", ", entry.Shape)}] of {entry.ElementType} needs {expected} bytes, the file gives {entry.Length}.");
        var tensor = empty(entry.Shape, type);
        if (expected > 0) tensor.bytes = section.Slice((int)entry.Offset, (int)entry.Length);
        return tensor;
    }
}
