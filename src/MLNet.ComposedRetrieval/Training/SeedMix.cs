namespace MLNet.ComposedRetrieval.Training;

/// <summary>
/// Derives seeds from a run's seed with a fixed function (SplitMix64's finaliser), so that the same run seed gives the
/// same derived seeds in every process. <see cref="HashCode"/> and <see cref="string.GetHashCode()"/> must never be
/// used for this: .NET randomises them per process.
/// </summary>
internal static class SeedMix
{
    /// <summary>A non-negative seed for stream <paramref name="stream"/> (an epoch, say) of the run seeded by <paramref name="seed"/>.</summary>
    public static int Derive(int seed, int stream)
    {
        ulong z = ((ulong)(uint)seed << 32 | (uint)stream) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & int.MaxValue);
    }
}
