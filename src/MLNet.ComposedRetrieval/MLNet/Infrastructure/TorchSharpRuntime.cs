using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using MLNet.ComposedRetrieval.Native;
using TorchSharp;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// Makes TorchSharp's native library load on systems whose libstdc++ is older than the one it was built
/// against. Runs by itself when this assembly loads; call <see cref="EnsureLoaded"/> only if your own code
/// calls TorchSharp before touching this library.
/// </summary>
/// <remarks>
/// TorchSharp 0.107.0's <c>libLibTorchSharp.so</c> requires <c>GLIBCXX_3.4.32</c> for one symbol that nothing
/// calls. Where the system lacks that version, a patched copy (the package's file is left untouched) is written
/// to a cache folder and loaded in its place; see the README. On systems with a new enough libstdc++, and on
/// Windows and macOS, nothing is done. Set <c>MLNET_COMPOSED_RETRIEVAL_NATIVE_CACHE</c> to choose the folder.
/// Before libtorch loads, it also sets <c>TORCH_CPP_LOG_LEVEL=ERROR</c> and <c>OMP_WAIT_POLICY=PASSIVE</c> unless the
/// user set them (<see cref="LibTorchDefaults"/>).
/// </remarks>
public static class TorchSharpRuntime
{
    private const string NativeName = "LibTorchSharp";
    private const string NativeFile = "libLibTorchSharp.so";
    private static readonly object Gate = new();
    private static bool _done;
    private static IntPtr _patchedHandle;

    /// <summary>What the last <see cref="EnsureLoaded"/> did, for diagnostics.</summary>
    public static string Status { get; private set; } = "not checked";

    /// <summary>The patched copy in use, or <c>null</c> when the package's own file loads as shipped.</summary>
    public static string? PatchedLibraryPath { get; private set; }

    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "Must run before any TorchSharp call.")]
    internal static void OnModuleLoad()
    {
        try { EnsureLoaded(); }
        catch (Exception e) { Status = "failed: " + e.Message; }
    }

    /// <summary>Checks TorchSharp's native library against the system's libstdc++ and, if needed, loads a
    /// relaxed copy. Idempotent and thread-safe.</summary>
    /// <exception cref="InvalidOperationException">The library needs a libstdc++ feature the system lacks.</exception>
    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_done) return;
            _done = true;
            var defaults = LibTorchDefaults.SetEnvironment();
            if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            {
                Status = "nothing to do on this platform; " + defaults;
                return;
            }
            Status = Patch() + "; " + defaults + ApplyLogLevel();
        }
    }

    /// <summary>Loads the patched copy where the system's libstdc++ needs it; says what was done.</summary>
    private static string Patch()
    {
        var original = FindNativeFile(NativeFile);
        if (original is null)
            return $"{NativeFile} not found next to the application; TorchSharp will report what is missing";

        var systemLib = FindSystemLibStdCxx();
        if (systemLib is null)
            return $"system {GlibcxxRelaxation.LibStdCxx} not found; nothing patched";

        var systemVersions = ElfVersionRequirements.Parse(File.ReadAllBytes(systemLib)).DefinedVersions();
        var bytes = File.ReadAllBytes(original);
        var notes = new List<string>();
        var patched = GlibcxxRelaxation.Relax(bytes, systemVersions, notes.Add);
        if (patched is null)
            return $"{original} loads as shipped";

        var target = WritePatchedCopy(original, bytes, patched);
        PreloadDependencies(Path.GetDirectoryName(original)!);
        _patchedHandle = NativeLibrary.Load(target);
        NativeLibrary.SetDllImportResolver(typeof(torch).Assembly, ResolveTorchSharp);
        PatchedLibraryPath = target;
        return $"loaded patched copy {target} ({string.Join("; ", notes)})";
    }

    /// <summary>libc10, loaded now if TorchSharp has not loaded it yet, told to apply the log level.</summary>
    private static string ApplyLogLevel()
    {
        var c10 = FindNativeFile("libc10.so");
        return c10 is not null && NativeLibrary.TryLoad(c10, out var handle) && LibTorchDefaults.ApplyLogLevel(handle)
            ? "" : " (libtorch's log level not applied: libc10 or its initLogging not found)";
    }

    private static IntPtr ResolveTorchSharp(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == NativeName ? _patchedHandle : IntPtr.Zero;

    /// <summary>The cache holds one copy per distinct original file, written atomically.</summary>
    private static string WritePatchedCopy(string original, byte[] originalBytes, byte[] patched)
    {
        var hash = Convert.ToHexString(SHA256.HashData(originalBytes))[..16].ToLowerInvariant();
        var folder = Path.Combine(CacheRoot(), "native", hash);
        var target = Path.Combine(folder, NativeFile);
        if (File.Exists(target) && new FileInfo(target).Length == patched.Length
            && File.ReadAllBytes(target).AsSpan().SequenceEqual(patched))
            return target;

        Directory.CreateDirectory(folder);
        var temp = target + "." + Environment.ProcessId + ".tmp";
        File.WriteAllBytes(temp, patched);
        File.Move(temp, target, overwrite: true);
        File.WriteAllText(Path.Combine(folder, "SOURCE.txt"), original + Environment.NewLine);
        return target;
    }

    private static string CacheRoot()
    {
        var configured = Environment.GetEnvironmentVariable("MLNET_COMPOSED_RETRIEVAL_NATIVE_CACHE");
        if (!string.IsNullOrWhiteSpace(configured)) return configured;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = !string.IsNullOrWhiteSpace(xdg) ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "MLNet.ComposedRetrieval");
    }

    /// <summary>The patched copy lives outside the package folder, so its <c>$ORIGIN</c> run path no longer
    /// finds libtorch; loading libtorch first lets the dynamic loader match those needs by soname.</summary>
    private static void PreloadDependencies(string directory)
    {
        foreach (var dependency in new[] { "libc10.so", "libtorch_cpu.so", "libtorch_cuda.so", "libtorch.so" })
        {
            var path = Path.Combine(directory, dependency);
            if (File.Exists(path)) NativeLibrary.Load(path);
        }
    }

    /// <summary>Where .NET would look for a native asset: the host's probe folders, then beside the app.</summary>
    internal static string? FindNativeFile(string fileName)
    {
        var folders = new List<string>();
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string probe)
            folders.AddRange(probe.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        folders.Add(AppContext.BaseDirectory);
        folders.Add(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native"));
        var torchFolder = Path.GetDirectoryName(typeof(torch).Assembly.Location);
        if (!string.IsNullOrEmpty(torchFolder))
        {
            folders.Add(torchFolder);
            folders.Add(Path.GetFullPath(Path.Combine(torchFolder, "..", "..", "runtimes", "linux-x64", "native")));
        }
        return folders.Select(f => Path.Combine(f, fileName)).FirstOrDefault(File.Exists);
    }

    /// <summary>The libstdc++ the dynamic loader gives this process (the runtime has usually loaded it).</summary>
    private static string? FindSystemLibStdCxx()
    {
        NativeLibrary.TryLoad(GlibcxxRelaxation.LibStdCxx, out _);
        try
        {
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                int slash = line.IndexOf('/');
                if (slash >= 0 && line.EndsWith("/" + GlibcxxRelaxation.LibStdCxx, StringComparison.Ordinal))
                    return line[slash..];
                if (slash >= 0 && line.Contains("/libstdc++.so.6.", StringComparison.Ordinal))
                    return line[slash..];
            }
        }
        catch (IOException) { }
        return new[] { "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6" }
            .FirstOrDefault(File.Exists);
    }
}
