using System.Globalization;
using System.Runtime.Intrinsics.X86;

namespace MLNet.ComposedRetrieval.Native;

/// <summary>One data or unified cache level as a source reports it.</summary>
/// <param name="Level">1 for L1, 2 for L2, ...</param>
/// <param name="SizeBytes">The whole cache's size; 0 when the source gives none.</param>
/// <param name="CoresSharing">How many cores share it (oneDNN divides the size by this).</param>
internal readonly record struct DataCacheLevel(int Level, long SizeBytes, int CoresSharing)
{
    /// <summary>The share of one core, as oneDNN's <c>get_per_core_cache_size</c> computes it; 0 where unknown.</summary>
    public long PerCoreBytes => CoresSharing > 0 ? SizeBytes / CoresSharing : 0;
}

/// <summary>
/// The data caches one source reports, nearest first: the processor's CPUID leaves, read the way oneDNN's bundled
/// Xbyak reads them (the sizes oneDNN's kernels then divide by), or the operating system's report.
/// </summary>
/// <param name="Source">Where the figures came from, for messages.</param>
/// <param name="Levels">The data and unified caches; empty when the source reports none.</param>
internal sealed record CpuCacheReport(string Source, IReadOnlyList<DataCacheLevel> Levels)
{
    private const string SysfsCacheFolder = "/sys/devices/system/cpu/cpu0/cache";

    /// <summary>The L1 data cache, or null when the source reports none.</summary>
    public DataCacheLevel? L1Data => Levels.FirstOrDefault(l => l.Level == 1) is { Level: 1 } l1 ? l1 : null;

    /// <summary>What CPUID reports, as oneDNN (Xbyak's <c>Cpu::setCacheHierarchy</c>) reads it: AMD's leaf 0x8000001D,
    /// else its legacy leaves 0x80000005/6, Intel's leaf 4; nothing on other processors.</summary>
    public static CpuCacheReport FromCpuId()
    {
        const string source = "CPUID";
        if (!X86Base.IsSupported) return new(source, []);
        var (maxLeaf, vendor1, vendor3, vendor2) = X86Base.CpuId(0, 0);
        var vendor = string.Concat(new[] { vendor1, vendor2, vendor3 }.Select(r => Ascii(r)));
        return vendor switch
        {
            "AuthenticAMD" => new(source, ReadAmd()),
            "GenuineIntel" when maxLeaf >= 4 => new(source, ReadIntel()),
            _ => new(source + " (" + vendor + ")", []),
        };
    }

    /// <summary>What the Linux kernel reports under <c>/sys/devices/system/cpu/cpu0/cache</c>; empty where it reports
    /// nothing (some virtual machines) or on other systems.</summary>
    public static CpuCacheReport FromOperatingSystem(string folder = SysfsCacheFolder)
    {
        var levels = new List<DataCacheLevel>();
        if (Directory.Exists(folder))
        {
            foreach (var index in Directory.EnumerateDirectories(folder, "index*").Order(StringComparer.Ordinal))
            {
                string? Read(string name) => File.Exists(Path.Combine(index, name)) ? File.ReadAllText(Path.Combine(index, name)).Trim() : null;
                if (Read("type") is not ("Data" or "Unified")) continue;
                if (!int.TryParse(Read("level"), CultureInfo.InvariantCulture, out var level)) continue;
                levels.Add(new DataCacheLevel(level, ParseSize(Read("size")), CountCpus(Read("shared_cpu_list"))));
            }
        }
        return new(folder, levels.OrderBy(l => l.Level).ToList());
    }

    private static List<DataCacheLevel> ReadAmd()
    {
        var levels = new List<DataCacheLevel>();
        uint maxExtended = (uint)X86Base.CpuId(unchecked((int)0x80000000), 0).Eax;
        if (maxExtended >= 0x8000001D)
        {
            for (int subLeaf = 0; subLeaf < 16 && levels.Count < 3; subLeaf++)
            {
                var (eax, ebx, ecx, _) = X86Base.CpuId(unchecked((int)0x8000001D), subLeaf);
                int type = eax & 0x1F;
                if (type == 0) break;
                if (type == 2) continue; // instruction cache
                long size = (long)(Bits(ebx, 0, 12) + 1) * (Bits(ebx, 12, 10) + 1) * (Bits(ebx, 22, 10) + 1);
                if (Bits(eax, 9, 1) == 0) size *= (uint)ecx + 1L; // not fully associative: times the sets
                levels.Add(new DataCacheLevel(Bits(eax, 5, 3), size, Bits(eax, 14, 12) + 1));
            }
        }
        else if (maxExtended >= 0x80000006)
        {
            // Legacy leaves, in KiB: a VM may leave them zero, and oneDNN then takes 0 as the L1 size.
            levels.Add(new DataCacheLevel(1, Bits(X86Base.CpuId(unchecked((int)0x80000005), 0).Ecx, 24, 8) * 1024L, 1));
            var (_, _, l2, l3) = X86Base.CpuId(unchecked((int)0x80000006), 0);
            if (Bits(l2, 12, 4) > 0) levels.Add(new DataCacheLevel(2, Bits(l2, 16, 16) * 1024L, 1));
            if (Bits(l3, 12, 4) > 0) levels.Add(new DataCacheLevel(3, Bits(l3, 18, 14) * 512L * 1024, Environment.ProcessorCount));
        }
        return levels;
    }

    private static List<DataCacheLevel> ReadIntel()
    {
        var levels = new List<DataCacheLevel>();
        int threadsPerCore = 0;
        for (int subLeaf = 0; subLeaf < 16 && levels.Count < 3; subLeaf++)
        {
            var (eax, ebx, ecx, _) = X86Base.CpuId(4, subLeaf);
            int type = eax & 0x1F;
            if (type == 0) break;
            if (type is not (1 or 3)) continue;
            int threadsSharing = Bits(eax, 14, 12) + 1;
            if (type == 1 && threadsPerCore == 0) threadsPerCore = threadsSharing; // L1 data is never shared across cores
            long size = (long)(Bits(ebx, 22, 10) + 1) * (Bits(ebx, 12, 10) + 1) * (Bits(ebx, 0, 12) + 1) * ((uint)ecx + 1L);
            levels.Add(new DataCacheLevel(Bits(eax, 5, 3), size, Math.Max(threadsSharing / Math.Max(threadsPerCore, 1), 1)));
        }
        return levels;
    }

    private static int Bits(int value, int start, int count) => (int)(((uint)value >> start) & ((1u << count) - 1));

    private static string Ascii(int register) =>
        string.Concat(BitConverter.GetBytes(register).Select(b => b is >= 32 and < 127 ? (char)b : '?'));

    /// <summary>"32K", "1024K", "32M" or bytes; 0 when absent or unreadable.</summary>
    private static long ParseSize(string? text)
    {
        if (string.IsNullOrEmpty(text)) return 0;
        long unit = char.ToUpperInvariant(text[^1]) switch { 'K' => 1024, 'M' => 1024 * 1024, 'G' => 1024 * 1024 * 1024, _ => 1 };
        var digits = unit == 1 ? text : text[..^1];
        return long.TryParse(digits, CultureInfo.InvariantCulture, out var value) ? value * unit : 0;
    }

    /// <summary>The number of CPUs in a list such as "0-1,4"; 1 when absent.</summary>
    private static int CountCpus(string? list)
    {
        if (string.IsNullOrEmpty(list)) return 1;
        int count = 0;
        foreach (var part in list.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var range = part.Split('-');
            count += range.Length == 2 && int.TryParse(range[0], out var a) && int.TryParse(range[1], out var b) ? b - a + 1 : 1;
        }
        return Math.Max(count, 1);
    }

    /// <inheritdoc/>
    public override string ToString() => Levels.Count == 0 ? $"{Source}: no data cache sizes"
        : $"{Source}: " + string.Join(", ", Levels.Select(l => $"L{l.Level} {l.SizeBytes / 1024} KiB shared by {l.CoresSharing}"));
}
