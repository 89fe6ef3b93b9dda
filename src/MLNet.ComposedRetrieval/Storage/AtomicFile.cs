namespace MLNet.ComposedRetrieval.Storage;

/// <summary>
/// Creates or replaces a file so that readers, a crash or a power cut see either the old content or the whole new
/// content, never a mix: the content goes to a uniquely named temporary file in the target's folder, is flushed to
/// disk, and is renamed over the target, with the folder flushed before and after the rename (Linux) so the rename
/// itself survives a power cut. On any failure the temporary file is deleted and an existing target is left untouched.
/// Model files, training checkpoints, the feature cache and reports are written through here.
/// </summary>
internal static class AtomicFile
{
    /// <summary>The suffix of temporary files; one left behind (a killed process) can be deleted safely.</summary>
    public const string TemporarySuffix = ".tmp";

    /// <summary>Writes <paramref name="path"/> with what <paramref name="write"/> puts into the stream (which it must
    /// leave open: the stream is flushed to disk after it returns).</summary>
    /// <exception cref="IOException"><paramref name="path"/> is a directory, or the content could not be written.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        var target = Path.GetFullPath(path);
        if (Directory.Exists(target))
            throw new IOException($"Cannot write '{target}': it is a directory.");
        var folder = Path.GetDirectoryName(target) ?? throw new IOException($"Cannot write '{target}': it has no parent folder.");
        Directory.CreateDirectory(folder);
        var temporary = Path.Combine(folder, $"{Path.GetFileName(target)}.{Guid.NewGuid():N}{TemporarySuffix}");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            FileSystemSync.Folder(folder);
            File.Move(temporary, target, overwrite: true);
            FileSystemSync.Folder(folder);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> (see <see cref="Write(string, Action{Stream})"/>).</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, stream => stream.Write(copy));
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 (no byte order mark) to <paramref name="path"/>.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), leaveOpen: true);
            writer.Write(text);
        });

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
