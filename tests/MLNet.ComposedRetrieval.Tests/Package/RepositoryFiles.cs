namespace MLNet.ComposedRetrieval.Tests.Package;

/// <summary>Files of the repository the tests run from, found by walking up from the test binaries.</summary>
internal static class RepositoryFiles
{
    /// <summary>The repository root: the folder holding MLNet.ComposedRetrieval.sln.</summary>
    public static string Root { get; } = FindRoot();

    public static string PathOf(string relativePath) => Path.Combine(Root, relativePath);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MLNet.ComposedRetrieval.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No MLNet.ComposedRetrieval.sln above {AppContext.BaseDirectory}.");
    }
}
