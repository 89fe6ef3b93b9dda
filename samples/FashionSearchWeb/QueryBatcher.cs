using System.Threading.Channels;
using Microsoft.ML.Data;
using MLNet.ComposedRetrieval;

namespace FashionSearchWeb;

/// <summary>
/// Composes query embeddings for concurrent requests. With a batch size above 1, requests wait in a bounded queue and
/// one worker composes whatever has queued (up to the batch size) in one network call; with 1, each request runs its
/// own call, at most one per core at a time. Either way the number of images in flight through the encoders is bounded.
/// </summary>
internal sealed class QueryBatcher : IAsyncDisposable
{
    private readonly GallerySearchEngine _engine;
    private readonly int _batchSize;
    private readonly Channel<Pending>? _queue;
    private readonly SemaphoreSlim _direct = new(Environment.ProcessorCount);
    private readonly Task? _worker;

    public QueryBatcher(GallerySearchEngine engine, int batchSize)
    {
        _engine = engine;
        _batchSize = batchSize;
        if (batchSize <= 1) return;
        // Bounded: under overload, requests wait to enqueue rather than holding decoded images without limit.
        _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(batchSize * 8) { SingleReader = true });
        _worker = Task.Factory.StartNew(RunAsync, TaskCreationOptions.LongRunning).Unwrap();
    }

    /// <summary>Queries composed per network call at most.</summary>
    public int BatchSize => _batchSize;

    /// <summary>The composed query embedding of one reference image and text.</summary>
    public async Task<float[]> EmbedAsync(MLImage image, string text, CancellationToken cancellationToken)
    {
        if (_queue is null)
        {
            await _direct.WaitAsync(cancellationToken);
            try
            {
                return _engine.EmbedQueries([image], [text])[0];
            }
            finally
            {
                _direct.Release();
            }
        }
        var pending = new Pending(image, text, new TaskCompletionSource<float[]>(TaskCreationOptions.RunContinuationsAsynchronously));
        await _queue.Writer.WriteAsync(pending, cancellationToken);
        return await pending.Result.Task.WaitAsync(cancellationToken);
    }

    private async Task RunAsync()
    {
        var batch = new List<Pending>(_batchSize);
        while (await _queue!.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < _batchSize && _queue.Reader.TryRead(out var pending)) batch.Add(pending);
            try
            {
                var embeddings = _engine.EmbedQueries(batch.Select(p => p.Image).ToList(), batch.Select(p => p.Text).ToList());
                for (int i = 0; i < batch.Count; i++) batch[i].Result.TrySetResult(embeddings[i]);
            }
            catch (Exception e)
            {
                foreach (var pending in batch) pending.Result.TrySetException(e);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue?.Writer.TryComplete();
        if (_worker is not null) await _worker;
        _direct.Dispose();
    }

    private sealed record Pending(MLImage Image, string Text, TaskCompletionSource<float[]> Result);
}
