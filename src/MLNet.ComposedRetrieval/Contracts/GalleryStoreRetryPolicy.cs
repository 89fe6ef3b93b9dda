namespace MLNet.ComposedRetrieval;

/// <summary>
/// How a <see cref="PgVectorGalleryStore"/> retries an operation that failed for a transient reason (a dropped
/// connection, a server restarting, a serialization failure): up to <see cref="MaxAttempts"/> tries, waiting
/// <see cref="InitialDelay"/>, then twice as long each time up to <see cref="MaxDelay"/>. Every operation it retries
/// is idempotent (a search, an upsert, a delete, an ingestion batch, which skips ids already committed), and each
/// attempt runs in its own transaction, so a failed attempt leaves nothing behind.
/// </summary>
/// <param name="MaxAttempts">Tries in all (1: no retry).</param>
/// <param name="InitialDelay">The wait before the second try.</param>
/// <param name="MaxDelay">The longest wait between tries.</param>
public sealed record GalleryStoreRetryPolicy(int MaxAttempts, TimeSpan InitialDelay, TimeSpan MaxDelay)
{
    /// <summary>3 tries, waiting 0.2 s then 0.4 s.</summary>
    public static GalleryStoreRetryPolicy Default { get; } = new(3, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5));

    /// <summary>One try: every failure is reported at once.</summary>
    public static GalleryStoreRetryPolicy None { get; } = new(1, TimeSpan.Zero, TimeSpan.Zero);

    /// <summary>The wait after failed try number <paramref name="attempt"/> (1-based).</summary>
    internal TimeSpan DelayAfter(int attempt)
    {
        var ticks = InitialDelay.Ticks * Math.Pow(2, attempt - 1);
        return TimeSpan.FromTicks((long)Math.Min(ticks, MaxDelay.Ticks));
    }

    internal void Validate()
    {
        if (MaxAttempts < 1) throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "At least one try.");
        if (InitialDelay < TimeSpan.Zero || MaxDelay < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(InitialDelay), "Delays must not be negative.");
    }
}
