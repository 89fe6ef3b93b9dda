namespace MLNet.ComposedRetrieval;

/// <summary>How far a bulk ingestion into a <see cref="PgVectorGalleryStore"/> has got (reported after each committed batch, and returned at the end).</summary>
/// <param name="Read">Items read from the source so far.</param>
/// <param name="Inserted">Items inserted (committed) by this run.</param>
/// <param name="Skipped">Items skipped because their id was already present (an earlier, interrupted run put them there).</param>
/// <param name="Batches">Batches committed by this run.</param>
/// <param name="Elapsed">Time since the ingestion started.</param>
public sealed record GalleryIngestProgress(long Read, long Inserted, long Skipped, int Batches, TimeSpan Elapsed)
{
    /// <summary>Items inserted per second so far.</summary>
    public double InsertedPerSecond => Elapsed > TimeSpan.Zero ? Inserted / Elapsed.TotalSeconds : 0;
}
