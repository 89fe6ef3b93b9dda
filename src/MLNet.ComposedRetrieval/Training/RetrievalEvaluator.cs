using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Modeling;
using MLNet.ComposedRetrieval.Retrieval;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Training;

/// <summary>
/// Scores a network on a query set against a gallery with the paper's protocol (docs/method.md "Evaluation"): embed every
/// gallery image with the target branch, compose every query, rank by dot product with the reference removed from
/// its own ranking, and count a hit at K when any target is in the top K. Used for per-epoch validation and for the
/// final evaluation, so both follow one implementation.
/// </summary>
internal sealed class RetrievalEvaluator
{
    private readonly IReadOnlyList<string> _galleryIds;
    private readonly IReadOnlyList<CompositionQuery> _queries;
    private readonly int _batchSize;

    public RetrievalEvaluator(IReadOnlyList<string> galleryIds, IReadOnlyList<CompositionQuery> queries, IReadOnlyList<int> ks, int batchSize = TrainingDefaults.EvaluationBatchSize)
    {
        if (galleryIds.Count == 0) throw new ArgumentException("The gallery is empty.", nameof(galleryIds));
        if (queries.Count == 0) throw new ArgumentException("There are no evaluation queries.", nameof(queries));
        _galleryIds = galleryIds;
        _queries = queries;
        Ks = ks;
        _batchSize = batchSize;
    }

    public IReadOnlyList<int> Ks { get; }

    public IReadOnlyList<CompositionQuery> Queries => _queries;

    /// <summary>Recall@K of <paramref name="network"/> (switched to eval mode for the call, then restored).</summary>
    public RecallAtKResult Evaluate(ComposedRetrievalNetwork network, ICompositionInputs inputs, Device device)
    {
        bool wasTraining = network.training;
        network.eval();
        try
        {
            using var index = BuildGallery(network, inputs, device);
            using var scope = NewDisposeScope();
            var queries = ComposeQueries(network, inputs, device);
            return RecallAtK.Compute(index, queries, _queries.Select(q => (string?)q.ReferenceImageId).ToList(),
                _queries.Select(q => (IReadOnlyCollection<string>)q.TargetImageIds).ToList(), Ks);
        }
        finally
        {
            network.train(wasTraining);
        }
    }

    /// <summary>
    /// Recall@K of the reference image's pooled backbone map alone (no text, no trained part): the zero-shot line.
    /// The maps of the gallery and of the references are read from <paramref name="imageMaps"/>.
    /// </summary>
    public RecallAtKResult EvaluatePooledReferences(FeatureCache imageMaps)
    {
        using var scope = NewDisposeScope();
        Tensor Pooled(IReadOnlyList<string> ids) =>
            nn.functional.normalize(imageMaps.Load(ids).flatten(2).mean([2]), p: 2, dim: 1);
        using var index = new GalleryIndex(_galleryIds, Pooled(_galleryIds));
        var references = _queries.Select(q => q.ReferenceImageId).ToList();
        return RecallAtK.Compute(index, Pooled(references), references.Select(r => (string?)r).ToList(),
            _queries.Select(q => (IReadOnlyCollection<string>)q.TargetImageIds).ToList(), Ks);
    }

    /// <summary>Embeds the gallery with the target branch (the caller sets eval mode); the caller owns the index.</summary>
    public GalleryIndex BuildGallery(ComposedRetrievalNetwork network, ICompositionInputs inputs, Device device) =>
        new(_galleryIds, EmbedInBatches(_galleryIds.Count, range =>
        {
            using var images = inputs.Images(_galleryIds.Take(range).ToList(), augment: false).To(device);
            return network.EmbedTargets(images);
        }));

    /// <summary>Composed query features [Q, D] for every query, in order.</summary>
    public Tensor ComposeQueries(ComposedRetrievalNetwork network, ICompositionInputs inputs, Device device) =>
        EmbedInBatches(_queries.Count, range =>
        {
            var batch = _queries.Take(range).ToList();
            using var references = inputs.Images(batch.Select(q => q.ReferenceImageId).ToList(), augment: false).To(device);
            using var texts = inputs.Texts(batch.Select(q => q.ModificationText).ToList()).To(device);
            return network.ComposeQueries(references, texts);
        });

    private Tensor EmbedInBatches(int count, Func<Range, Tensor> embed)
    {
        var parts = new List<Tensor>();
        using var noGrad = inference_mode();
        foreach (var range in BatchRanges.Of(count, _batchSize))
            parts.Add(embed(range).cpu());
        var all = cat(parts, 0);
        foreach (var part in parts) part.Dispose();
        return all;
    }
}
