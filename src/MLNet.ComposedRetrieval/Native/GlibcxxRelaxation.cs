namespace MLNet.ComposedRetrieval.Native;

/// <summary>
/// Decides whether a native library needs libstdc++ versions that the system lacks and, where every such
/// version is named only by symbols that no relocation uses, rewrites those requirements into a version the
/// system has. This is what lets TorchSharp 0.107.0 (built with GCC 13) load on Debian 12 / Ubuntu 22.04.
/// </summary>
internal static class GlibcxxRelaxation
{
    internal const string LibStdCxx = "libstdc++.so.6";

    /// <summary>Returns the patched bytes, or <c>null</c> when the library needs nothing the system lacks.</summary>
    /// <exception cref="InvalidOperationException">A missing version is really used, so patching would hide a
    /// call that must fail.</exception>
    public static byte[]? Relax(byte[] library, IReadOnlySet<string> systemVersions, Action<string>? log = null)
    {
        var elf = ElfVersionRequirements.Parse((byte[])library.Clone());
        var onLibStdCxx = elf.Requirements().Where(r => r.File == LibStdCxx).ToList();
        var missing = onLibStdCxx.Where(r => !systemVersions.Contains(r.Version)).ToList();
        if (missing.Count == 0) return null;

        var fallback = onLibStdCxx
            .Where(r => systemVersions.Contains(r.Version) && r.Version.StartsWith("GLIBCXX_", StringComparison.Ordinal))
            .OrderBy(r => ParseVersion(r.Version))
            .LastOrDefault()
            ?? throw new InvalidOperationException(
                $"Cannot relax {LibStdCxx} requirements: the library names no GLIBCXX version the system has.");

        foreach (var requirement in missing)
        {
            var used = elf.RelocatedSymbolsOfVersion(requirement.Index);
            if (used.Count > 0)
                throw new InvalidOperationException(
                    $"The system's {LibStdCxx} lacks {requirement.Version}, which the library really uses " +
                    $"({string.Join(", ", used.Take(5))}). Install a newer libstdc++ (GCC 13 or later).");
            elf.Redirect(requirement, fallback);
            log?.Invoke($"requirement {requirement.Version} -> {fallback.Version} (no relocated symbol uses it)");
        }
        return elf.Bytes;
    }

    private static Version ParseVersion(string name) =>
        Version.TryParse(name[(name.IndexOf('_') + 1)..], out var v) ? v : new Version(0, 0);
}
