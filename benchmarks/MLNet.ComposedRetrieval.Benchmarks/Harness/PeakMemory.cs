namespace MLNet.ComposedRetrieval.Benchmarks.Harness;

/// <summary>
/// The process's resident memory (native libtorch buffers included, which the .NET heap counters miss), from
/// /proc/self/status. The peak (VmHWM) is reset between cases by writing 5 to /proc/self/clear_refs, so each
/// case reports its own peak. Linux only; elsewhere every figure is null.
/// </summary>
internal static class PeakMemory
{
    /// <summary>Forgets the peak so far (the next <see cref="PeakBytes"/> counts from now).</summary>
    public static void Reset()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        try { File.WriteAllText("/proc/self/clear_refs", "5"); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Peak resident bytes since the last <see cref="Reset"/>.</summary>
    public static long? PeakBytes => Read("VmHWM:");

    /// <summary>Resident bytes now.</summary>
    public static long? CurrentBytes => Read("VmRSS:");

    private static long? Read(string field)
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return null;
        foreach (var line in File.ReadLines(status))
        {
            if (!line.StartsWith(field, StringComparison.Ordinal)) continue;
            var kilobytes = line[field.Length..].Trim().Split(' ')[0];
            return long.Parse(kilobytes) * 1024;
        }
        return null;
    }
}
