using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Training;

/// <summary>
/// Fills feature caches with the outputs of frozen encoders, so training and evaluation skip them (the frozen-backbone
/// mode that makes CPU training practical). Cache keys name the encoder, a fingerprint of its
/// weights, the preprocessing and the output shape (which also tells layer4 strides apart).
/// </summary>
internal static class FrozenEncoderFeatures
{
    /// <summary>Images per backbone call when filling a cache (benchmarks/README.md, feature cache, has the measurements).</summary>
    public const int DefaultImageBatchSize = 32;

    /// <summary>Backbone maps of every image, computed <paramref name="batchSize"/> at a time through the one
    /// preprocessing path; <paramref name="loadImage"/> decodes an image id. With <paramref name="inferencePath"/>, a ResNet's maps
    /// are computed through its inference snapshot (batch norm folded, oneDNN's
    /// layout where the host allows: the path queries and galleries take; equal up to float rounding, faster) rather than
    /// the module as trained. The cache key says which path filled a cache, so one cache never mixes the two.</summary>
    public static FeatureCache CacheImageMaps(ImageBackbone backbone, IEnumerable<string> imageIds, Func<string, RgbImage> loadImage,
        string cacheRoot, Device? device = null, int batchSize = DefaultImageBatchSize, IProgress<WorkProgress>? progress = null,
        Action<string>? log = null, CancellationToken cancellationToken = default, bool inferencePath = true)
    {
        device ??= CPU;
        var preprocessing = backbone.Preprocessing;
        backbone.eval();
        using var folded = inferencePath ? (backbone as ResNetBackbone)?.ToInference() : null;
        var path = "as trained";
        if (folded is not null)
        {
            folded.to(device);
            path = folded.TryUseOneDnn(out var why) ? "folded, oneDNN layout" : $"folded, dense ({why})";
        }
        Tensor Encode(Tensor pixels)
        {
            using var mode = inference_mode();
            using var onDevice = pixels.to(device);
            return (folded?.forward(onDevice) ?? backbone.forward(onDevice)).cpu();
        }
        long[] shape;
        using (var probe = zeros(1, 3, preprocessing.Height, preprocessing.Width))
        using (var output = Encode(probe))
            shape = output.shape[1..];
        var key = $"image-maps;{backbone.GetType().Name};weights={ModuleFingerprint.Of(backbone)};{preprocessing.Key};shape={string.Join("x", shape)}"
                  + (folded is null ? "" : ";folded");
        var cache = FeatureCache.Open(Path.Combine(cacheRoot, "images"), key, shape);
        imageIds = imageIds.Distinct(StringComparer.Ordinal).ToList();
        log?.Invoke($"Image features: {cache.Missing(imageIds).Count} of {imageIds.Count()} to compute (cache {cache.Folder}; {path}, batch {batchSize}).");
        cache.Fill(imageIds, ids =>
        {
            using var pixels = ImageBatch.FromImages(ids.Select(loadImage).ToList(), preprocessing);
            return Encode(pixels);
        }, batchSize, progress, "image features", cancellationToken: cancellationToken);
        return cache;
    }

    /// <summary>Sentence features of every distinct text (the text itself is the cache id).</summary>
    public static FeatureCache CacheTextFeatures(TextEncoder encoder, IEnumerable<string> texts, string cacheRoot,
        int maxTextLength = 64, Device? device = null, int batchSize = 128, IProgress<WorkProgress>? progress = null,
        Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        device ??= CPU;
        encoder.eval();
        var key = $"text-features;{encoder.GetType().Name};weights={ModuleFingerprint.Of(encoder)};maxLength={maxTextLength}";
        var cache = FeatureCache.Open(Path.Combine(cacheRoot, "texts"), key, [encoder.OutputDimension]);
        texts = texts.Distinct(StringComparer.Ordinal).ToList();
        log?.Invoke($"Text features: {cache.Missing(texts).Count} of {texts.Count()} to compute (cache {cache.Folder}).");
        cache.Fill(texts, batch =>
        {
            using var mode = inference_mode();
            var (ids, mask) = TokenBatch.Encode(encoder.Tokenizer, batch, maxTextLength);
            using (ids) using (mask) return encoder.forward(ids.to(device), mask.to(device)).cpu();
        }, batchSize, progress, "text features", cancellationToken: cancellationToken);
        return cache;
    }
}
