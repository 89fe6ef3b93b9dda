using System.Runtime.InteropServices;

namespace MLNet.ComposedRetrieval.Storage;

/// <summary>
/// Flushes a folder's entries (created, renamed, deleted files) to disk, so a rename done before a power cut is still
/// there after it. .NET has no API for this (it refuses to open a directory), hence <c>open</c> + <c>fsync</c> from
/// libc on Linux; elsewhere a no-op.
/// </summary>
internal static partial class FileSystemSync
{
    private const int ReadOnlyCloseOnExec = 0x80000; // O_RDONLY | O_CLOEXEC on Linux (x64 and arm64 alike)
    private const int InvalidArgument = 22;          // EINVAL: the file system cannot sync a directory; nothing to do

    /// <summary>Flushes <paramref name="folder"/>'s directory entries.</summary>
    /// <exception cref="IOException">The folder could not be opened or flushed.</exception>
    public static void Folder(string folder)
    {
        if (!OperatingSystem.IsLinux()) return;
        int descriptor = Open(folder, ReadOnlyCloseOnExec);
        if (descriptor < 0) throw Failure("open", folder);
        try
        {
            if (FSync(descriptor) != 0 && Marshal.GetLastPInvokeError() != InvalidArgument) throw Failure("fsync", folder);
        }
        finally
        {
            Close(descriptor);
        }
    }

    private static IOException Failure(string call, string folder)
    {
        int error = Marshal.GetLastPInvokeError();
        return new IOException($"Could not flush folder '{folder}' to disk ({call}: {Marshal.GetPInvokeErrorMessage(error)}).", error);
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int descriptor);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int descriptor);
}
