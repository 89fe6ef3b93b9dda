namespace MLNet.ComposedRetrieval.Tests.Data;

/// <summary>A fresh folder under the system temp folder, deleted on dispose; tests write image files into it.</summary>
internal sealed class TemporaryFolder : IDisposable
{
    public TemporaryFolder()
    {
        FullPath = Directory.CreateTempSubdirectory("mlnet-cr-data-").FullName;
    }

    public string FullPath { get; }

    /// <summary>Writes a small non-empty file (no real image: the readers never decode) at a relative path.</summary>
    public string WriteFile(string relativePath, string content = "not decoded by the readers")
    {
        var path = System.IO.Path.Combine(FullPath, relativePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(FullPath, recursive: true); }
        catch (IOException) { }
    }
}
