using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.ComposedRetrieval.Retrieval;
using MLNet.ComposedRetrieval.Training;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// Puts an embedded gallery (<c>mlContext.Transforms.EmbedGalleryImages</c> output) into a
/// <see cref="PgVectorGalleryStore"/>.
/// </summary>
public static class GalleryStoreIngestion
{
    /// <summary>
    /// Ingests every row of <paramref name="embeddedGallery"/> (see <see cref="PgVectorGalleryStore.IngestAsync"/>):
    /// batched binary COPY, a transaction per batch, resumable, with progress. The rows are read lazily, so the gallery
    /// is never held in memory whole (embedding images as they are read, if the view embeds them).
    /// </summary>
    /// <param name="store">The collection to fill.</param>
    /// <param name="embeddedGallery">Rows with an id and an embedding, ids unique.</param>
    /// <param name="imageIdColumnName">The String id column.</param>
    /// <param name="embeddingColumnName">The embedding column (a Single vector as wide as the store's embeddings).</param>
    /// <param name="titleColumnName">An optional String title column.</param>
    /// <param name="categoryColumnName">An optional String category column (queries can filter on it).</param>
    /// <param name="progress">Told after every committed batch.</param>
    /// <param name="buildIndex">Builds the HNSW index at the end if it does not exist yet.</param>
    /// <param name="cancellationToken">Stops after the batch in flight is rolled back.</param>
    public static Task<GalleryIngestProgress> IngestAsync(this PgVectorGalleryStore store, IDataView embeddedGallery,
        string imageIdColumnName = GallerySearchEngine.DefaultImageIdColumnName, string embeddingColumnName = "ImageEmbedding",
        string? titleColumnName = null, string? categoryColumnName = null, IProgress<GalleryIngestProgress>? progress = null,
        bool buildIndex = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var items = ReadGalleryItems(embeddedGallery, imageIdColumnName, embeddingColumnName, titleColumnName, categoryColumnName);
        return store.IngestAsync(items, progress, buildIndex, cancellationToken);
    }

    /// <summary>
    /// Adds to <paramref name="store"/> the images of <paramref name="gallery"/> it lacks, embedded by
    /// <paramref name="model"/> through the same on-disk cache as
    /// <see cref="ComposeImageTextTransformer.CreateSearchEngine(GalleryFolder, string, string, GalleryPrecision, IProgress{WorkProgress}?, CancellationToken)"/>
    /// (ids already in the store are skipped, so a second call, or one after an interrupted ingest, adds only what is
    /// missing). Nothing is embedded when the store already holds as many images as the folder.
    /// </summary>
    /// <param name="store">The model's collection.</param>
    /// <param name="model">The model that embeds the gallery (the store's model).</param>
    /// <param name="modelPath">The file the model was loaded from or saved to (its checksum keys the cache).</param>
    /// <param name="gallery">The gallery images.</param>
    /// <param name="cacheFolder">Where gallery embeddings are cached.</param>
    /// <param name="embedding">Progress while images are embedded.</param>
    /// <param name="ingestion">Told after every committed batch.</param>
    /// <param name="cancellationToken">Stops between batches; what was committed stays.</param>
    /// <returns>What the ingestion did, or null when the store was already full.</returns>
    public static async Task<GalleryIngestProgress?> IngestGalleryFolderAsync(this PgVectorGalleryStore store, ComposeImageTextTransformer model,
        string modelPath, GalleryFolder gallery, string cacheFolder, IProgress<WorkProgress>? embedding = null,
        IProgress<GalleryIngestProgress>? ingestion = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(gallery);
        if (await store.CountAsync(cancellationToken).ConfigureAwait(false) >= gallery.Ids.Count) return null;
        float[] values;
        using (var scope = TorchSharp.torch.NewDisposeScope())
        {
            var embeddings = GalleryEmbeddings.Load(model, modelPath, gallery, cacheFolder, model.BatchSize, embedding, out _, cancellationToken);
            values = embeddings.contiguous().data<float>().ToArray();
        }
        var width = model.EmbeddingDimension;
        var items = gallery.Ids.Select((id, i) => new GalleryItem(id, values.AsMemory(i * width, width)));
        return await store.IngestAsync(items, ingestion, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The rows of an embedded gallery as <see cref="GalleryItem"/>s, read lazily (columns are checked now). Empty or
    /// missing titles and categories become null.
    /// </summary>
    /// <param name="embeddedGallery">Rows with an id and an embedding.</param>
    /// <param name="imageIdColumnName">The String id column.</param>
    /// <param name="embeddingColumnName">The embedding column (a known-size Single vector).</param>
    /// <param name="titleColumnName">An optional String title column.</param>
    /// <param name="categoryColumnName">An optional String category column.</param>
    public static IEnumerable<GalleryItem> ReadGalleryItems(this IDataView embeddedGallery,
        string imageIdColumnName = GallerySearchEngine.DefaultImageIdColumnName, string embeddingColumnName = "ImageEmbedding",
        string? titleColumnName = null, string? categoryColumnName = null)
    {
        ArgumentNullException.ThrowIfNull(embeddedGallery);
        var schema = embeddedGallery.Schema;
        var id = ColumnBinding.BindText(schema, imageIdColumnName, "gallery image id");
        var embedding = ColumnBinding.BindEmbedding(schema, embeddingColumnName, "gallery embedding");
        var title = titleColumnName is null ? (DataViewSchema.Column?)null : ColumnBinding.BindText(schema, titleColumnName, "gallery title");
        var category = categoryColumnName is null ? (DataViewSchema.Column?)null : ColumnBinding.BindText(schema, categoryColumnName, "gallery category");
        return Read(embeddedGallery, id, embedding, title, category, imageIdColumnName);
    }

    private static IEnumerable<GalleryItem> Read(IDataView data, DataViewSchema.Column idColumn, DataViewSchema.Column embeddingColumn,
        DataViewSchema.Column? titleColumn, DataViewSchema.Column? categoryColumn, string idColumnName)
    {
        var columns = new List<DataViewSchema.Column> { idColumn, embeddingColumn };
        if (titleColumn is { } t) columns.Add(t);
        if (categoryColumn is { } c) columns.Add(c);
        using var cursor = data.GetRowCursor(columns);
        var idGetter = cursor.GetGetter<ReadOnlyMemory<char>>(idColumn);
        var embeddingGetter = cursor.GetGetter<VBuffer<float>>(embeddingColumn);
        var titleGetter = titleColumn is { } tc ? cursor.GetGetter<ReadOnlyMemory<char>>(tc) : null;
        var categoryGetter = categoryColumn is { } cc ? cursor.GetGetter<ReadOnlyMemory<char>>(cc) : null;
        ReadOnlyMemory<char> id = default, text = default;
        VBuffer<float> embedding = default;
        string? Optional(ValueGetter<ReadOnlyMemory<char>>? getter)
        {
            if (getter is null) return null;
            getter(ref text);
            return text.Span.IsWhiteSpace() ? null : text.ToString();
        }
        while (cursor.MoveNext())
        {
            idGetter(ref id);
            if (id.Span.IsWhiteSpace())
                throw new InvalidOperationException($"Row {cursor.Position}: the gallery image id column '{idColumnName}' is empty.");
            embeddingGetter(ref embedding);
            yield return new GalleryItem(id.ToString(), embedding.DenseValues().ToArray(), Optional(titleGetter), Optional(categoryGetter));
        }
    }
}
