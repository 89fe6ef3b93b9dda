namespace MLNet.ComposedRetrieval.Tests.Infrastructure;

/// <summary>
/// Locates the project's <c>../shared</c> folder (real datasets, golden values). Tests that need it call
/// <see cref="Require"/>: on a user's clone without it they skip with the reason; where
/// <c>MLNET_CR_REQUIRE_SHARED_DATA=1</c> (set by <c>.ci/run</c>) a missing folder fails the test instead.
/// </summary>
internal static class SharedData
{
    public const string RequireVariable = "MLNET_CR_REQUIRE_SHARED_DATA";

    /// <summary>The shared folder, found by walking up from the test binaries to the repository root's sibling.</summary>
    public static string? Root { get; } = FindRoot();

    /// <summary>Returns the absolute path of <paramref name="relativePath"/> under shared/, or skips/fails.</summary>
    public static string Require(string relativePath)
    {
        var path = Root is null ? null : Path.Combine(Root, relativePath);
        if (path is not null && (File.Exists(path) || Directory.Exists(path))) return path;

        var reason = $"needs ../shared/{relativePath} (the project's shared data folder beside the repository), which is absent";
        if (Environment.GetEnvironmentVariable(RequireVariable) == "1")
            throw new InvalidOperationException($"{reason}; {RequireVariable}=1 turns this skip into a failure.");
        Skip.If(true, reason);
        return path!;
    }

    private static string? FindRoot()
    {
        var env = Environment.GetEnvironmentVariable("MLNET_CR_SHARED");
        if (!string.IsNullOrEmpty(env)) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MLNet.ComposedRetrieval.sln")))
            {
                var shared = Path.Combine(dir.FullName, "..", "shared");
                return Directory.Exists(shared) ? Path.GetFullPath(shared) : null;
            }
        }
        return null;
    }
}
