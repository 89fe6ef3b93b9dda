using System.Runtime.InteropServices;

namespace MLNet.ComposedRetrieval.Native;

/// <summary>
/// Decides, without running any oneDNN code, whether oneDNN's own tensor layout is safe on this host. oneDNN's sum
/// (every residual addition of a ResNet run in that layout) splits its work into blocks of half the per-core L1 data
/// cache, rounded down to 4 KiB pages, and divides by the block size: where the processor reports no L1 size, or one
/// under 8 KiB (some virtual machines report zero), that is an integer division by zero, a SIGFPE that no .NET handler
/// can catch. So the layout is used only where both CPUID (what oneDNN reads) and, on Linux, the operating system
/// report a usable L1 and L2 data cache; anything unknown counts as unsafe.
/// </summary>
internal static class OneDnnHostCheck
{
    /// <summary>The smallest per-core L1 data cache for which oneDNN's sum block size is not zero.</summary>
    public const long MinimumL1DataBytes = 8 * 1024;

    private static readonly Lazy<string?> HostVerdict = new(() =>
        UnsafeReason(RuntimeInformation.ProcessArchitecture, CpuCacheReport.FromCpuId(),
            OperatingSystem.IsLinux() ? CpuCacheReport.FromOperatingSystem() : null));

    private static readonly AsyncLocal<string?[]?> Simulated = new();

    /// <summary>Null when this host is safe for oneDNN's layout; otherwise why not.</summary>
    public static string? Verdict => Simulated.Value is { } simulated ? simulated[0] : HostVerdict.Value;

    /// <summary>
    /// Why oneDNN's layout is unsafe given the processor and these cache reports, or null when it is safe.
    /// </summary>
    /// <param name="architecture">The process's architecture: the check knows only x86-64's CPUID.</param>
    /// <param name="cpuId">What CPUID reports (what oneDNN divides by).</param>
    /// <param name="operatingSystem">What the OS reports, or null where there is no such report to consult.</param>
    public static string? UnsafeReason(Architecture architecture, CpuCacheReport cpuId, CpuCacheReport? operatingSystem)
    {
        if (architecture != Architecture.X64)
            return $"the host check knows x86-64 processors only (this is {architecture})";
        return Check(cpuId) ?? (operatingSystem is null ? null : Check(operatingSystem));
    }

    private static string? Check(CpuCacheReport report)
    {
        if (report.L1Data is not { } l1)
            return $"{report.Source} reports no L1 data cache size ({report}), which oneDNN's sum divides by";
        if (l1.PerCoreBytes < MinimumL1DataBytes)
            return $"{report.Source} reports an L1 data cache of {l1.PerCoreBytes} bytes per core ({report}); oneDNN's sum needs at least {MinimumL1DataBytes}";
        if (!report.Levels.Any(l => l.Level == 2 && l.PerCoreBytes > 0))
            return $"{report.Source} reports no L2 cache size ({report}), which oneDNN's kernels size their blocks by";
        return null;
    }

    /// <summary>
    /// For tests: within the returned scope (this async flow only), <see cref="Verdict"/> is what
    /// <see cref="UnsafeReason"/> says of the given reports instead of this host's.
    /// </summary>
    internal static IDisposable Simulate(CpuCacheReport cpuId, CpuCacheReport? operatingSystem)
    {
        var previous = Simulated.Value;
        Simulated.Value = [UnsafeReason(Architecture.X64, cpuId, operatingSystem)];
        return new Restore(() => Simulated.Value = previous);
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }
}
