using Microsoft.ML;
using MLNet.ComposedRetrieval.Retrieval;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// MLNet.ComposedRetrieval's entry points on <see cref="MLContext"/>'s catalogs: <c>mlContext.Transforms.ComposeImageText</c>
/// and <c>EmbedGalleryImages</c>, <c>mlContext.Ranking.EvaluateRecallAtK</c>, and <c>mlContext.Model.SaveComposeImageText</c> / <c>LoadComposeImageText</c>.
/// </summary>
public static class ComposedRetrievalCatalog
{
    /// <summary>
    /// Trains composed image retrieval with text feedback on triplets (reference image, modification text, target
    /// image); the fitted transformer adds the composed query embedding.
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The column to add: the query embedding, a Single vector.</param>
    /// <param name="referenceImageColumnName">The reference image column (MLImage from LoadImages, or a String path).</param>
    /// <param name="textColumnName">The modification text column (String).</param>
    /// <param name="targetImageColumnName">The target image column (MLImage or String path; training only).</param>
    /// <param name="imageFolder">The folder relative image paths are resolved against.</param>
    /// <param name="imageEncoder">The image encoder (pretrained ResNet-18 by default, frozen).</param>
    /// <param name="textEncoder">The text encoder (pretrained MiniLM by default, frozen).</param>
    /// <param name="epochs">Training epochs.</param>
    /// <param name="batchSize">Triplets per step.</param>
    /// <param name="learningRate">Base learning rate.</param>
    public static ComposeImageTextEstimator ComposeImageText(this TransformsCatalog catalog,
        string outputColumnName = ComposeImageTextEstimator.Defaults.OutputColumnName,
        string referenceImageColumnName = ComposeImageTextEstimator.Defaults.ReferenceImageColumnName,
        string textColumnName = ComposeImageTextEstimator.Defaults.TextColumnName,
        string targetImageColumnName = ComposeImageTextEstimator.Defaults.TargetImageColumnName,
        string? imageFolder = null,
        ImageEncoderArchitecture imageEncoder = ImageEncoderArchitecture.ResNet18,
        TextEncoderArchitecture textEncoder = TextEncoderArchitecture.MiniLM,
        int epochs = 8,
        int batchSize = 32,
        double learningRate = 0.02) =>
        catalog.ComposeImageText(new ComposeImageTextEstimator.Options
        {
            OutputColumnName = outputColumnName,
            ReferenceImageColumnName = referenceImageColumnName,
            TextColumnName = textColumnName,
            TargetImageColumnName = targetImageColumnName,
            ImageFolder = imageFolder,
            ImageEncoder = imageEncoder,
            TextEncoder = textEncoder,
            Epochs = epochs,
            BatchSize = batchSize,
            LearningRate = learningRate,
        });

    /// <summary>Trains composed image retrieval with every setting of <paramref name="options"/>.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">Columns, encoders, training and loss settings.</param>
    public static ComposeImageTextEstimator ComposeImageText(this TransformsCatalog catalog, ComposeImageTextEstimator.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new ComposeImageTextEstimator(Environment(catalog), options);
    }

    /// <summary>Embeds images as gallery (target) images with a trained model, adding a Single vector column.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="model">The trained model.</param>
    /// <param name="outputColumnName">The embedding column to add.</param>
    /// <param name="inputColumnName">The image column (MLImage or String path).</param>
    /// <param name="imageFolder">The folder relative paths are resolved against; the model's by default.</param>
    public static GalleryImageEmbeddingEstimator EmbedGalleryImages(this TransformsCatalog catalog, ComposeImageTextTransformer model,
        string outputColumnName = "ImageEmbedding", string inputColumnName = GallerySearchEngine.DefaultImageColumnName, string? imageFolder = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(model);
        return new GalleryImageEmbeddingEstimator(
            new GalleryImageEmbeddingTransformer(model, outputColumnName, inputColumnName, imageFolder ?? model.ImageFolder));
    }

    /// <summary>
    /// Recall@K of embedded queries against an embedded gallery, with the paper's protocol: score = dot product, each
    /// query's reference image removed from its ranking, a hit at K when any target is in the top K. A query none of
    /// whose targets is in the gallery is a miss at every K: such queries are counted in
    /// <see cref="RecallAtKMetrics.QueriesWithoutGalleryTarget"/> and a warning goes to the MLContext's log.
    /// </summary>
    /// <param name="catalog">The ranking catalog.</param>
    /// <param name="queries">Query rows with a query embedding (from the ComposeImageText transformer), the target ids
    /// and, optionally, the reference image id.</param>
    /// <param name="gallery">Gallery rows with an id and an embedding (from <c>EmbedGalleryImages</c>); ids are unique.</param>
    /// <param name="targetImageIdsColumnName">The correct gallery ids per query: a String of ids separated by
    /// <paramref name="targetIdSeparator"/>, or a vector of Strings.</param>
    /// <param name="referenceImageIdColumnName">The gallery id of each query's reference image, removed from its
    /// ranking; null to remove nothing.</param>
    /// <param name="queryEmbeddingColumnName">The query embedding column.</param>
    /// <param name="galleryImageIdColumnName">The gallery id column (String).</param>
    /// <param name="galleryEmbeddingColumnName">The gallery embedding column.</param>
    /// <param name="ks">The K values; 1, 10 and 50 by default.</param>
    /// <param name="targetIdSeparator">Separates ids in a String target column.</param>
    /// <param name="galleryPrecision">How the gallery is stored for the search, as in
    /// <see cref="ComposeImageTextTransformer.CreateSearchEngine(IDataView, string, string, string?, GalleryPrecision, IProgress{WorkProgress}?)"/>: float32 by default; Half or Int8 measure the recall
    /// a search engine with that precision would have.</param>
    public static RecallAtKMetrics EvaluateRecallAtK(this RankingCatalog catalog, IDataView queries, IDataView gallery,
        string targetImageIdsColumnName = "TargetImageIds",
        string? referenceImageIdColumnName = "ReferenceImageId",
        string queryEmbeddingColumnName = ComposeImageTextEstimator.Defaults.OutputColumnName,
        string galleryImageIdColumnName = GallerySearchEngine.DefaultImageIdColumnName,
        string galleryEmbeddingColumnName = "ImageEmbedding",
        IReadOnlyList<int>? ks = null,
        char targetIdSeparator = ';',
        GalleryPrecision galleryPrecision = GalleryPrecision.Single)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return RecallAtKEvaluation.Evaluate(Environment(catalog).Register("EvaluateRecallAtK"), queries, gallery, targetImageIdsColumnName, referenceImageIdColumnName,
            queryEmbeddingColumnName, galleryImageIdColumnName, galleryEmbeddingColumnName, ks, targetIdSeparator, galleryPrecision);
    }

    /// <summary>
    /// Saves <paramref name="model"/> to one file with <see cref="ComposeImageTextTransformer.Save(string)"/>: created or
    /// replaced atomically, so a failed save leaves an existing file untouched. Use it instead of
    /// <c>mlContext.Model.Save(model, schema, path)</c>, which cannot hold this transformer and empties the file at
    /// <c>path</c> before it finds out.
    /// </summary>
    /// <param name="catalog">The model operations catalog.</param>
    /// <param name="model">The trained model.</param>
    /// <param name="path">The model file; <see cref="LoadComposeImageText"/> reads it back.</param>
    /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
    /// <exception cref="IOException"><paramref name="path"/> is a folder, or the file could not be written.</exception>
    public static void SaveComposeImageText(this ModelOperationsCatalog catalog, ComposeImageTextTransformer model, string path)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(model);
        model.Save(path);
    }

    /// <summary>Loads a model saved by <see cref="ComposeImageTextTransformer.Save(string)"/>.</summary>
    /// <param name="catalog">The model operations catalog.</param>
    /// <param name="path">The model file.</param>
    public static ComposeImageTextTransformer LoadComposeImageText(this ModelOperationsCatalog catalog, string path)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return ComposeImageTextTransformer.Load(
            ComponentEnvironment.FromCatalog(catalog, "ComposeImageTextTransformer.Load(mlContext, path)"), path);
    }

    private static ComponentEnvironment Environment(RankingCatalog catalog) =>
        ComponentEnvironment.FromCatalog(catalog, "mlContext.Ranking.EvaluateRecallAtK on an ML.NET version this package supports");

    private static ComponentEnvironment Environment(TransformsCatalog catalog) =>
        ComponentEnvironment.FromCatalog(catalog, "new ComposeImageTextEstimator(mlContext, options)");
}
