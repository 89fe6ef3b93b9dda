using MLNet.ComposedRetrieval.Native;

namespace MLNet.ComposedRetrieval.Tests.Native;

public class GlibcxxRelaxationTests
{
    private static byte[] TorchSharpNative()
    {
        var path = TorchSharpRuntime.FindNativeFile("libLibTorchSharp.so");
        Skip.If(path is null || !OperatingSystem.IsLinux(), "libLibTorchSharp.so is only shipped for Linux");
        return File.ReadAllBytes(path!);
    }

    private static HashSet<string> VersionsUpTo(string newest, byte[] library)
    {
        // Every version the library asks of libstdc++, minus those newer than 'newest': a stand-in for an older system.
        var required = ElfVersionRequirements.Parse(library).Requirements()
            .Where(r => r.File == GlibcxxRelaxation.LibStdCxx).Select(r => r.Version);
        var limit = Version.Parse(newest);
        return required.Where(v => !v.StartsWith("GLIBCXX_") || Version.Parse(v["GLIBCXX_".Length..]) <= limit).ToHashSet();
    }

    [Fact]
    public void ElfHashMatchesTheSystemVReference()
    {
        // Reference values of the System V ABI hash, computed independently (the shared tools script).
        Assert.Equal(0x0D696914u, ElfVersionRequirements.ElfHash("GLIBC_2.4"));
        Assert.Equal(0x09691A75u, ElfVersionRequirements.ElfHash("GLIBC_2.2.5"));
    }

    [SkippableFact]
    public void NothingIsPatchedWhenTheSystemHasEveryVersion()
    {
        var library = TorchSharpNative();
        var all = ElfVersionRequirements.Parse(library).Requirements().Select(r => r.Version).ToHashSet();
        Assert.Null(GlibcxxRelaxation.Relax(library, all));
    }

    [SkippableFact]
    public void MissingUnusedVersionIsRedirectedToANewestAvailableOne()
    {
        var library = TorchSharpNative();
        var system = VersionsUpTo("3.4.30", library);
        Assert.DoesNotContain("GLIBCXX_3.4.32", system);

        var patched = GlibcxxRelaxation.Relax(library, system);

        Assert.NotNull(patched);
        Assert.Equal(library.Length, patched!.Length);
        var versions = ElfVersionRequirements.Parse(patched).Requirements()
            .Where(r => r.File == GlibcxxRelaxation.LibStdCxx).Select(r => r.Version).ToList();
        Assert.DoesNotContain("GLIBCXX_3.4.32", versions);
        Assert.All(versions, v => Assert.Contains(v, system));
        Assert.Equal(2, versions.Count(v => v == "GLIBCXX_3.4.30"));
        Assert.Equal(library, File.ReadAllBytes(TorchSharpRuntime.FindNativeFile("libLibTorchSharp.so")!));
    }

    [SkippableFact]
    public void RefusesWhenAMissingVersionIsReallyUsed()
    {
        var library = TorchSharpNative();
        // GLIBCXX_3.4.30 names relocated symbols: a system without it cannot be helped by an edit.
        var system = VersionsUpTo("3.4.29", library);
        var error = Assert.Throws<InvalidOperationException>(() => GlibcxxRelaxation.Relax(library, system));
        Assert.Contains("GLIBCXX_3.4.30", error.Message);
    }

    [Fact]
    public void RejectsFilesThatAreNotElf()
    {
        Assert.Throws<InvalidDataException>(() => ElfVersionRequirements.Parse(new byte[128]));
    }
}
