namespace FashionSearchWeb;

/// <summary>The service's state for the endpoints: its status and, once ready, the backend it searches with.</summary>
internal sealed class SearchService : IAsyncDisposable
{
    private volatile SearchBackend? _backend;

    public ServiceStatus Status { get; } = new();

    /// <summary>The backend, or null while the service is starting (or failed).</summary>
    public SearchBackend? Backend => _backend;

    public void SetReady(SearchBackend backend) => _backend = backend;

    public async ValueTask DisposeAsync()
    {
        if (_backend is { } backend) await backend.DisposeAsync();
    }
}
