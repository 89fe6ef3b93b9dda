using MLNet.ComposedRetrieval.Storage;
using MLNet.ComposedRetrieval.Tests.Data;

namespace MLNet.ComposedRetrieval.Tests.Storage;

public sealed class AtomicFileTests : IDisposable
{
    private readonly TemporaryFolder _folder = new();

    private string Existing(string name = "file.bin")
    {
        var path = Path.Combine(_folder.FullPath, name);
        File.WriteAllBytes(path, Good);
        return path;
    }

    private static readonly byte[] Good = [1, 2, 3, 4, 5];

    [Fact]
    public void ReplacesAFileWholeAndLeavesNoTemporaryFile()
    {
        var path = Existing();
        AtomicFile.Write(path, stream => stream.Write(new byte[300_000]));
        Assert.Equal(300_000, new FileInfo(path).Length);
        AtomicFile.WriteAllText(Path.Combine(_folder.FullPath, "sub", "new.txt"), "é");
        Assert.Equal("é"u8.ToArray(), File.ReadAllBytes(Path.Combine(_folder.FullPath, "sub", "new.txt")));
        Assert.Equal(["file.bin", "sub"], Directory.GetFileSystemEntries(_folder.FullPath).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void AFullDiskKeepsTheOldFileAndLeavesNoTemporaryFile()
    {
        var path = Existing();
        var seen = new List<string>();
        Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            seen.Add(((FileStream)stream).Name);
            using var full = new FullDiskStream(stream, capacity: 100_000);
            full.Write(new byte[64_000]);
            full.Write(new byte[64_000]);
        }));
        AssertOnlyTheGoodFile(path);
        // The temporary file was a uniquely named sibling of the target.
        var temporary = Assert.Single(seen);
        Assert.Equal(_folder.FullPath, Path.GetDirectoryName(temporary));
        Assert.StartsWith("file.bin.", Path.GetFileName(temporary));
        Assert.EndsWith(AtomicFile.TemporarySuffix, temporary);
    }

    [Fact]
    public void AnyFailureOfTheWriterKeepsTheOldFile()
    {
        var path = Existing();
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[10]);
            throw new InvalidOperationException("writer failed");
        }));
        AssertOnlyTheGoodFile(path);
    }

    [Fact]
    public void AFolderAsTargetIsRefusedAndLeftAlone()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_folder.FullPath, "model.mlcr")).FullName;
        var error = Assert.Throws<IOException>(() => AtomicFile.WriteAllText(folder, "x"));
        Assert.Contains("is a directory", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(folder));
        Assert.Equal([folder], Directory.GetFileSystemEntries(_folder.FullPath));
    }

    [SkippableFact]
    public void AReadOnlyTargetOrFolderKeepsTheOldFileAndLeavesNoTemporaryFile()
    {
        var path = Existing();
        using (var readOnlyFile = ReadOnlyPath.TryProtect(path, out var reason))
        {
            Skip.If(readOnlyFile is null, $"Cannot make a file read-only here: {reason}.");
            // A non-root user may replace a read-only file in a writable folder (a rename needs only the folder); only
            // the immutable attribute root gets stops that.
            if (Environment.IsPrivilegedProcess)
                Assert.ThrowsAny<UnauthorizedAccessException>(() => AtomicFile.WriteAllText(path, "new"));
        }
        AssertOnlyTheGoodFile(path);

        using (var readOnlyFolder = ReadOnlyPath.TryProtect(_folder.FullPath, out var reason))
        {
            Skip.If(readOnlyFolder is null, $"Cannot make a folder read-only here: {reason}.");
            Assert.ThrowsAny<UnauthorizedAccessException>(() => AtomicFile.WriteAllText(path, "new"));
        }
        AssertOnlyTheGoodFile(path);
    }

    [Fact]
    public void FlushingAFolderWorksAndAMissingOneIsReported()
    {
        FileSystemSync.Folder(_folder.FullPath);
        if (OperatingSystem.IsLinux())
            Assert.Throws<IOException>(() => FileSystemSync.Folder(Path.Combine(_folder.FullPath, "absent")));
    }

    private void AssertOnlyTheGoodFile(string path)
    {
        Assert.Equal(Good, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFileSystemEntries(_folder.FullPath));
    }

    public void Dispose() => _folder.Dispose();
}
