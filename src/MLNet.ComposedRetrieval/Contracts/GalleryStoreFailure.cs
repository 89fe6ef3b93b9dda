namespace MLNet.ComposedRetrieval;

/// <summary>Why a <see cref="GalleryStoreException"/> was thrown.</summary>
public enum GalleryStoreFailure
{
    /// <summary>The server could not be reached (down, wrong host or port, refused the connection).</summary>
    Unavailable,

    /// <summary>The connection broke during the operation; an unfinished transaction was rolled back by the server.</summary>
    ConnectionLost,

    /// <summary>The operation took longer than the command timeout (or the server's statement_timeout).</summary>
    Timeout,

    /// <summary>The collection holds embeddings of another model, or of another width.</summary>
    ModelMismatch,

    /// <summary>The collection does not exist, or the server lacks the pgvector extension.</summary>
    Missing,

    /// <summary>The server refused the operation (a constraint, a permission, an invalid value).</summary>
    Rejected,
}
