using System.Runtime.InteropServices;
using MLNet.ComposedRetrieval.Native;

namespace MLNet.ComposedRetrieval.Tests.Native;

public class OneDnnHostCheckTests
{
    private static readonly CpuCacheReport GoodCpuId = new("CPUID", [new(1, 32 * 1024, 1), new(2, 1024 * 1024, 1), new(3, 32 << 20, 2)]);
    private static readonly CpuCacheReport GoodOs = GoodCpuId with { Source = "/sys" };

    [Fact]
    public void AHostThatReportsItsCachesIsSafe() =>
        Assert.Null(OneDnnHostCheck.UnsafeReason(Architecture.X64, GoodCpuId, GoodOs));

    [Fact]
    public void NoCacheInformationIsUnsafe()
    {
        var reason = OneDnnHostCheck.UnsafeReason(Architecture.X64, new CpuCacheReport("CPUID", []), new CpuCacheReport("/sys", []));
        Assert.StartsWith("CPUID reports no L1 data cache size", reason);
    }

    [Theory]
    [InlineData(0)]        // legacy AMD leaves left zero by a hypervisor
    [InlineData(4096)]     // half of it rounds down to no 4 KiB page
    public void AnL1TooSmallForOneDnnsSumBlockIsUnsafe(long l1Bytes)
    {
        var cpuId = GoodCpuId with { Levels = [new(1, l1Bytes, 1), new(2, 512 * 1024, 1)] };
        Assert.Contains($"L1 data cache of {l1Bytes} bytes per core", OneDnnHostCheck.UnsafeReason(Architecture.X64, cpuId, GoodOs));
    }

    [Fact]
    public void ASharedL1CountsPerCoreAndAMissingL2IsUnsafe()
    {
        var shared = GoodCpuId with { Levels = [new(1, 16 * 1024, 4), new(2, 512 * 1024, 1)] };
        Assert.Contains("4096 bytes per core", OneDnnHostCheck.UnsafeReason(Architecture.X64, shared, null));
        var noL2 = GoodCpuId with { Levels = [new(1, 32 * 1024, 1)] };
        Assert.Contains("no L2 cache size", OneDnnHostCheck.UnsafeReason(Architecture.X64, noL2, null));
    }

    [Fact]
    public void TheOperatingSystemReportingNoCachesIsUnsafeEvenWhenCpuIdDoes() =>
        Assert.StartsWith("/sys reports no L1 data cache size",
            OneDnnHostCheck.UnsafeReason(Architecture.X64, GoodCpuId, new CpuCacheReport("/sys", [])));

    [Fact]
    public void OtherArchitecturesAreNotTried() =>
        Assert.Contains("x86-64 processors only", OneDnnHostCheck.UnsafeReason(Architecture.Arm64, GoodCpuId, GoodOs));

    [Fact]
    public void TheSysfsReportIsParsedWithSizesUnitsAndSharing()
    {
        var folder = Directory.CreateTempSubdirectory("cache-report-").FullName;
        try
        {
            void Index(int n, string level, string type, string size, string shared)
            {
                var dir = Directory.CreateDirectory(Path.Combine(folder, "index" + n)).FullName;
                File.WriteAllText(Path.Combine(dir, "level"), level + "\n");
                File.WriteAllText(Path.Combine(dir, "type"), type + "\n");
                File.WriteAllText(Path.Combine(dir, "size"), size + "\n");
                File.WriteAllText(Path.Combine(dir, "shared_cpu_list"), shared + "\n");
            }
            Index(0, "1", "Data", "48K", "0,8");
            Index(1, "1", "Instruction", "32K", "0,8");
            Index(2, "2", "Unified", "2048K", "0,8");
            Index(3, "3", "Unified", "32M", "0-15");

            var report = CpuCacheReport.FromOperatingSystem(folder);

            Assert.Equal([new DataCacheLevel(1, 48 * 1024, 2), new DataCacheLevel(2, 2 << 20, 2), new DataCacheLevel(3, 32 << 20, 16)], report.Levels);
            Assert.Equal(24 * 1024, report.L1Data!.Value.PerCoreBytes);
            Assert.Empty(CpuCacheReport.FromOperatingSystem(Path.Combine(folder, "absent")).Levels);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>On a host whose kernel reports its caches, CPUID read the way oneDNN reads it gives the same L1 and L2 sizes.</summary>
    [SkippableFact]
    public void CpuIdAgreesWithTheOperatingSystemOnThisHost()
    {
        var os = CpuCacheReport.FromOperatingSystem();
        Skip.If(os.L1Data is null, $"this host's kernel reports no caches ({os}), the case the host check refuses");
        var cpuId = CpuCacheReport.FromCpuId();
        Assert.Equal(os.L1Data!.Value.SizeBytes, cpuId.L1Data?.SizeBytes);
        Assert.Equal(os.Levels.First(l => l.Level == 2).SizeBytes, cpuId.Levels.First(l => l.Level == 2).SizeBytes);
    }
}
