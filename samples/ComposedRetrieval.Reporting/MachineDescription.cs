using System.Globalization;
using System.Runtime.InteropServices;

namespace MLNet.ComposedRetrieval.Reporting;

/// <summary>A one-line description of the machine, for a report's settings (results depend on it through timings).</summary>
public static class MachineDescription
{
    /// <summary>E.g. "Intel(R) Xeon(R) ... , 2 logical cores, 23.5 GiB memory, Debian GNU/Linux 12, .NET 10.0.1, no GPU used".</summary>
    public static string Current(string? device = null)
    {
        var parts = new List<string>();
        if (ProcessorName() is { } processor) parts.Add(processor);
        parts.Add($"{Environment.ProcessorCount} logical cores");
        long memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (memory > 0) parts.Add((memory / (1024.0 * 1024 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB memory");
        parts.Add(RuntimeInformation.OSDescription.Trim());
        parts.Add(RuntimeInformation.FrameworkDescription);
        if (device is not null) parts.Add(device);
        return string.Join(", ", parts);
    }

    /// <summary>The CPU model from /proc/cpuinfo on Linux; null elsewhere or when unreadable.</summary>
    private static string? ProcessorName()
    {
        const string cpuInfo = "/proc/cpuinfo";
        try
        {
            if (!File.Exists(cpuInfo)) return null;
            var line = File.ReadLines(cpuInfo).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
