using System.Net.Sockets;
using MLNet.ComposedRetrieval.Retrieval;
using Npgsql;

namespace MLNet.ComposedRetrieval.Tests.Retrieval.PgVector;

/// <summary>How driver failures become <see cref="GalleryStoreException"/>s and which ones are retried (no server needed).</summary>
public sealed class PgVectorFaultsTests
{
    [Fact]
    public void AStatementTimeoutIsATimeoutAndIsNotRetried()
    {
        var cancelled = new PostgresException("canceling statement due to statement timeout", "ERROR", "ERROR", PostgresErrorCodes.QueryCanceled);

        var translated = Assert.IsType<GalleryStoreException>(PgVectorFaults.Translate(cancelled, "search", "db:5432", connected: true, attempts: 1));

        Assert.Equal(GalleryStoreFailure.Timeout, translated.Failure);
        Assert.Contains("statement_timeout", translated.Message);
        Assert.False(PgVectorFaults.IsTransient(cancelled));
    }

    [Fact]
    public void ACommandTimeoutIsATimeoutAndIsNotRetried()
    {
        var timeout = new NpgsqlException("Exception while reading from stream", new TimeoutException("Timeout during reading attempt"));

        var translated = Assert.IsType<GalleryStoreException>(PgVectorFaults.Translate(timeout, "search", "db:5432", connected: true, attempts: 1));

        Assert.Equal(GalleryStoreFailure.Timeout, translated.Failure);
        Assert.Contains("CommandTimeout", translated.Message);
        Assert.False(PgVectorFaults.IsTransient(timeout));
    }

    [Fact]
    public void ABrokenConnectionIsRetriedAndThenReportedAsLostOrUnreachable()
    {
        var broken = new NpgsqlException("Exception while reading from stream", new EndOfStreamException());
        var refused = new NpgsqlException("Failed to connect to 127.0.0.1:1", new SocketException((int)SocketError.ConnectionRefused));

        Assert.True(PgVectorFaults.IsTransient(broken));
        Assert.True(PgVectorFaults.IsTransient(refused));
        var lost = Assert.IsType<GalleryStoreException>(PgVectorFaults.Translate(broken, "ingestion", "db:5432", connected: true, attempts: 3));
        var unreachable = Assert.IsType<GalleryStoreException>(PgVectorFaults.Translate(refused, "search", "db:5432", connected: false, attempts: 3));
        Assert.Equal(GalleryStoreFailure.ConnectionLost, lost.Failure);
        Assert.Contains("rolled back", lost.Message);
        Assert.Contains("after 3 tries", lost.Message);
        Assert.Equal(GalleryStoreFailure.Unavailable, unreachable.Failure);
        Assert.Contains("db:5432", unreachable.Message);
    }

    [Fact]
    public void ServerShutdownAndSerializationFailuresAreRetriedButConstraintsAreNot()
    {
        Assert.True(PgVectorFaults.IsTransient(new PostgresException("terminating", "FATAL", "FATAL", PostgresErrorCodes.AdminShutdown)));
        Assert.True(PgVectorFaults.IsTransient(new PostgresException("could not serialize", "ERROR", "ERROR", PostgresErrorCodes.SerializationFailure)));
        var constraint = new PostgresException("duplicate key", "ERROR", "ERROR", PostgresErrorCodes.UniqueViolation);
        Assert.False(PgVectorFaults.IsTransient(constraint));
        Assert.Equal(GalleryStoreFailure.Rejected,
            Assert.IsType<GalleryStoreException>(PgVectorFaults.Translate(constraint, "upsert", "db:5432", true, 1)).Failure);
        Assert.False(PgVectorFaults.IsTransient(new OperationCanceledException()));
    }

    [Fact]
    public void RetryWaitsDoubleUpToTheLimit()
    {
        var policy = new GalleryStoreRetryPolicy(5, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(300));
        Assert.Equal(new[] { 100.0, 200, 300, 300 }, Enumerable.Range(1, 4).Select(a => policy.DelayAfter(a).TotalMilliseconds));
    }
}
