using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Modeling;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Training;

/// <summary>
/// Fills feature caches with the outputs of frozen encoders, so training and evaluation skip them (DESIGN.md: the
/// frozen-backbone mode that makes CPU training practical). Cache keys name the encoder, a fingerprint of its
/// weights, the preprocessing and the output shape.
/// </summary>
internal static class FrozenEncoderFeatures
{
    /// <summary>Backbone maps of every image, computed <paramref name="batchSize"/> at a time through the one preprocessing path.</summary>
    public static FeatureCache CacheImageMaps(ImageBackbone backbone, IEnumerable<string> imageIds, Func<string, string> pathOf,
        string cacheRoot, int batchSize = 32, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var preprocessing = backbone.Preprocessing;
        backbone.eval();
        long[] shape;
        using (var probe = inference_mode())
        using (var output = backbone.forward(zeros(1, 3, preprocessing.Height, preprocessing.Width)))
            shape = output.shape[1..];
        var key = $"image-maps;{backbone.GetType().Name};weights={ModuleFingerprint.Of(backbone)};{preprocessing.Key}";
        var cache = FeatureCache.Open(Path.Combine(cacheRoot, "images"), key, shape);
        cache.Fill(imageIds, ids =>
        {
            using var mode = inference_mode();
            using var pixels = ImageBatch.FromFiles(ids.Select(pathOf).ToList(), preprocessing);
            return backbone.forward(pixels);
        }, batchSize, progress, "image features", cancellationToken: cancellationToken);
        return cache;
    }

    /// <summary>Sentence features of every distinct text (the text itself is the cache id).</summary>
    public static FeatureCache CacheTextFeatures(TextEncoder encoder, IEnumerable<string> texts, string cacheRoot,
        int maxTextLength = 64, int batchSize = 128, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        encoder.eval();
        var key = $"text-features;{encoder.GetType().Name};weights={ModuleFingerprint.Of(encoder)};maxLength={maxTextLength}";
        var cache = FeatureCache.Open(Path.Combine(cacheRoot, "texts"), key, [encoder.OutputDimension]);
        cache.Fill(texts, batch =>
        {
            using var mode = inference_mode();
            var (ids, mask) = TokenBatch.Encode(encoder.Tokenizer, batch, maxTextLength);
            using (ids) using (mask) return encoder.forward(ids, mask);
        }, batchSize, progress, "text features", cancellationToken: cancellationToken);
        return cache;
    }
}
