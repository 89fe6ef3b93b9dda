using System.Net.Sockets;
using Npgsql;

namespace MLNet.ComposedRetrieval.Retrieval;

/// <summary>
/// Turns Npgsql's exceptions into <see cref="GalleryStoreException"/>s that say what happened and what to do, and
/// decides which failures a <see cref="GalleryStoreRetryPolicy"/> retries.
/// </summary>
internal static class PgVectorFaults
{
    /// <summary>
    /// Worth another try: the connection broke or could not be made, the server is shutting down or starting, or a
    /// serialization failure or deadlock. Never a timeout (it would take as long again) nor a cancellation.
    /// </summary>
    public static bool IsTransient(Exception e) => e switch
    {
        OperationCanceledException => false,
        PostgresException p => p.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected
            or PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow,
        NpgsqlException n when IsTimeout(n) => false,
        NpgsqlException n => n.IsTransient || n.InnerException is IOException or SocketException,
        _ => false,
    };

    /// <summary>The exception to throw for <paramref name="e"/>, thrown while doing <paramref name="operation"/>.</summary>
    /// <param name="e">Npgsql's exception.</param>
    /// <param name="operation">What was being done ("search of collection 'x'"), for the message.</param>
    /// <param name="server">Host and port, for the message.</param>
    /// <param name="connected">True when the connection was open when it failed.</param>
    /// <param name="attempts">How many tries were made.</param>
    public static Exception Translate(Exception e, string operation, string server, bool connected, int attempts)
    {
        var tries = attempts > 1 ? $" (after {attempts} tries)" : "";
        switch (e)
        {
            case OperationCanceledException:
            case GalleryStoreException:
                return e;
            case PostgresException { SqlState: PostgresErrorCodes.QueryCanceled } p:
                return new GalleryStoreException(GalleryStoreFailure.Timeout,
                    $"The {operation} on {server} was cancelled by the server ({p.MessageText}): it ran longer than the server's " +
                    "statement_timeout. Raise the timeout, or lower ef_search / the candidates.", e);
            case PostgresException { SqlState: PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.UndefinedObject or PostgresErrorCodes.UndefinedFile or PostgresErrorCodes.UndefinedFunction } p:
                return new GalleryStoreException(GalleryStoreFailure.Missing,
                    $"The {operation} on {server} failed: {p.MessageText}. The collection may have been dropped, or the server lacks the " +
                    "pgvector extension (CREATE EXTENSION vector needs pgvector 0.8 or later installed on the server).", e);
            case PostgresException { SqlState: PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow } p:
                return new GalleryStoreException(GalleryStoreFailure.ConnectionLost,
                    $"The {operation} on {server} failed{tries}: the server is shutting down or restarting ({p.MessageText}). " +
                    "Nothing of an unfinished transaction was kept; try again when the server is back.", e);
            case PostgresException p:
                return new GalleryStoreException(GalleryStoreFailure.Rejected,
                    $"The {operation} on {server} was refused{tries}: {p.SqlState} {p.MessageText}.", e);
            case NpgsqlException n when IsTimeout(n):
                return new GalleryStoreException(GalleryStoreFailure.Timeout,
                    $"The {operation} on {server} timed out: it took longer than the command timeout. Raise " +
                    "PgVectorGalleryOptions.CommandTimeout, or lower ef_search / the candidates; an unfinished transaction was rolled back.", e);
            case NpgsqlException n when !connected:
                return new GalleryStoreException(GalleryStoreFailure.Unavailable,
                    $"Cannot reach PostgreSQL at {server} for the {operation}{tries}: {Innermost(n).Message}. Check that the server " +
                    "is running and that the connection string's host and port are right.", e);
            case NpgsqlException n:
                return new GalleryStoreException(GalleryStoreFailure.ConnectionLost,
                    $"The connection to PostgreSQL at {server} was lost during the {operation}{tries}: {Innermost(n).Message}. " +
                    "An unfinished transaction was rolled back by the server, so nothing of it was kept.", e);
            default:
                return e;
        }
    }

    private static bool IsTimeout(NpgsqlException e) => e.InnerException is TimeoutException;

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }
}
