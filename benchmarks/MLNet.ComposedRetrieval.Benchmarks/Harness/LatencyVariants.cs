using System.Diagnostics;
using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Modeling;
using MLNet.ComposedRetrieval.Retrieval;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Benchmarks.Harness;

/// <summary>
/// Ways of running the single-query stages, timed round-robin on the same queries in one process (each round runs
/// every variant once on the round's query), so load from other jobs hits them alike and their ratios hold.
/// </summary>
internal static class LatencyVariants
{
    /// <summary>One way of running one stage: <c>Run</c> takes the round's inputs and returns nothing worth keeping.</summary>
    private sealed record Variant(string Stage, string Name, int Threads, Action<QueryInputs> Run);

    /// <summary>A query's prepared inputs (pixels, tokens, and the encoders' outputs for the later stages).</summary>
    internal sealed record QueryInputs(string ImagePath, string Text, string Reference, Tensor Pixels, Tensor Ids, Tensor Mask, Tensor Map, Tensor Sentence, Tensor Query);

    public static string Run(ComposedRetrievalNetwork network, ImageBackbone backbone, TextEncoder encoder, IReadOnlyList<GalleryIndex> indexes,
        IReadOnlyList<(string ImagePath, string Reference, string Text)> queries, int rounds, int k)
    {
        using var folded = ((ResNetBackbone)backbone).ToInference();
        using var foldedText = ((TransformerTextEncoder)encoder).ToInference();
        using var snapshot = network.ToInference();
        using var oneDnn = ((ResNetBackbone)backbone).ToInference();
        var oneDnnNote = oneDnn.TryUseOneDnn(out var unavailable) ? "" : $"The oneDNN variants ran dense: {unavailable}" + Environment.NewLine;
        var index = indexes.Single(i => i.Precision == GalleryPrecision.Single);
        var halfIndex = indexes.Single(i => i.Precision == GalleryPrecision.Half);
        var defaultThreads = get_num_threads();
        // Why the permutes: TorchSharp 0.107 has no memory_format argument; this gives the same [B, C, H, W] tensor
        // with NHWC strides, which libtorch treats as channels-last.
        Tensor ChannelsLast(Tensor t) => t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
        var variants = new List<Variant>();
        foreach (var threads in new[] { defaultThreads, 1 }.Distinct())
        {
            variants.Add(new("ResNet-18", "batch norm unfolded (eval)", threads, q => network.EncodeImages(q.Pixels)));
            variants.Add(new("ResNet-18", "batch norm folded", threads, q => folded.forward(q.Pixels)));
            variants.Add(new("ResNet-18", "folded, channels-last input", threads, q => folded.forward(ChannelsLast(q.Pixels))));
            variants.Add(new("ResNet-18", "folded, oneDNN layout", threads, q => oneDnn.forward(q.Pixels)));
            variants.Add(new("MiniLM", "actual length", threads, q => network.EncodeText(q.Ids, q.Mask)));
            variants.Add(new("MiniLM", "folded (FoldedTransformerEncoder)", threads, q => foldedText.forward(q.Ids, q.Mask)));
            variants.Add(new("MiniLM", "padded to 64", threads, q =>
            {
                var pad = 64 - q.Ids.shape[1];
                network.EncodeText(nn.functional.pad(q.Ids, [0, pad]), nn.functional.pad(q.Mask, [0, pad]));
            }));
            variants.Add(new("compositor + head", "modules (eval)", threads, q => network.ComposeFromFeatures(q.Map, q.Sentence)));
            variants.Add(new("compositor + head", "folded (FoldedComposer)", threads, q => snapshot.Compose(q.Map, q.Sentence)));
            foreach (var gallery in indexes)
                variants.Add(new("search 35k", $"{gallery.Precision} gallery", threads, q => gallery.Search(q.Query, k, [q.Reference])));
            variants.Add(new("decode + preprocess", "", threads, q =>
                ImageBatch.FromImages([ImageBatch.Prepare(ImageDecoder.Decode(q.ImagePath), backbone.Preprocessing)], backbone.Preprocessing)));
            variants.Add(new("end to end", "unfolded, sequential", threads, q => EndToEnd(q, backbone, encoder, network, network.EncodeImages, index, k, concurrent: false)));
            variants.Add(new("end to end", "folded, sequential", threads, q => EndToEnd(q, backbone, encoder, network, folded.forward, index, k, concurrent: false)));
            variants.Add(new("end to end", "folded, text encoder concurrent", threads, q => EndToEnd(q, backbone, encoder, network, folded.forward, index, k, concurrent: true)));
            variants.Add(new("end to end", "folded + oneDNN, sequential", threads, q => EndToEnd(q, backbone, encoder, network, oneDnn.forward, index, k, concurrent: false)));
            variants.Add(new("end to end", "all folded + oneDNN (as ComposedRetrievalModel), sequential", threads, q =>
                EndToEnd(q, backbone, encoder, network, oneDnn.forward, index, k, concurrent: false, foldedText.forward, snapshot.Compose)));
            variants.Add(new("end to end", "all folded + oneDNN (as ComposedRetrievalModel), text encoder concurrent", threads, q =>
                EndToEnd(q, backbone, encoder, network, oneDnn.forward, index, k, concurrent: true, foldedText.forward, snapshot.Compose)));
            variants.Add(new("end to end", "as ComposedRetrievalModel, Half gallery, sequential", threads, q =>
                EndToEnd(q, backbone, encoder, network, oneDnn.forward, halfIndex, k, concurrent: false, foldedText.forward, snapshot.Compose)));
            variants.Add(new("end to end", "as ComposedRetrievalModel, Half gallery, text encoder concurrent", threads, q =>
                EndToEnd(q, backbone, encoder, network, oneDnn.forward, halfIndex, k, concurrent: true, foldedText.forward, snapshot.Compose)));
        }

        var times = variants.Select(_ => new List<double>()).ToArray();
        for (var round = -2; round < rounds; round++) // two warm-up rounds
        {
            var (path, reference, text) = queries[(round + 2) % queries.Count];
            using var scope = NewDisposeScope();
            using var inference = inference_mode();
            var pixels = ImageBatch.FromImages([ImageBatch.Prepare(ImageDecoder.Decode(path), backbone.Preprocessing)], backbone.Preprocessing);
            var (ids, mask) = TokenBatch.Encode(encoder.Tokenizer, [text], maxLength: 64);
            var (map, sentence) = (network.EncodeImages(pixels), network.EncodeText(ids, mask));
            var inputs = new QueryInputs(path, text, reference, pixels, ids, mask, map, sentence, network.ComposeFromFeatures(map, sentence));
            for (var v = 0; v < variants.Count; v++)
            {
                set_num_threads(variants[v].Threads);
                using var inner = NewDisposeScope();
                var clock = Stopwatch.StartNew();
                variants[v].Run(inputs);
                if (round >= 0) times[v].Add(clock.Elapsed.TotalSeconds);
            }
        }
        set_num_threads(defaultThreads);

        var table = new MarkdownTable("stage", "variant", "threads", "p50 (ms)", "p95 (ms)", "min (ms)");
        for (var v = 0; v < variants.Count; v++)
        {
            var timing = Timing.FromSamples(times[v]);
            table.Add(variants[v].Stage, variants[v].Name, variants[v].Threads, timing.Median * 1e3, timing.P95 * 1e3, timing.Min * 1e3);
        }
        return table + Environment.NewLine + $"{rounds} rounds after 2 warm-up ones; every round runs each variant once on the same query." + Environment.NewLine + oneDnnNote;
    }

    private static void EndToEnd(QueryInputs q, ImageBackbone backbone, TextEncoder encoder, ComposedRetrievalNetwork network,
        Func<Tensor, Tensor> encodeImages, GalleryIndex index, int k, bool concurrent,
        Func<Tensor, Tensor, Tensor>? encodeText = null, Func<Tensor, Tensor, Tensor>? compose = null)
    {
        encodeText ??= network.EncodeText;
        compose ??= network.ComposeFromFeatures;
        Tensor? sentence = null;
        Task? text = null;
        if (concurrent)
            text = Task.Run(() =>
            {
                using var inference = inference_mode();
                var (ids, mask) = TokenBatch.Encode(encoder.Tokenizer, [q.Text], maxLength: 64);
                sentence = encodeText(ids, mask);
                ids.Dispose();
                mask.Dispose();
            });
        var pixels = ImageBatch.FromImages([ImageBatch.Prepare(ImageDecoder.Decode(q.ImagePath), backbone.Preprocessing)], backbone.Preprocessing);
        var map = encodeImages(pixels);
        if (text is null)
        {
            var (ids, mask) = TokenBatch.Encode(encoder.Tokenizer, [q.Text], maxLength: 64);
            sentence = encodeText(ids, mask);
        }
        else
        {
            text.Wait();
        }
        index.Search(compose(map, sentence!), k, [q.Reference]);
        if (text is not null) sentence!.Dispose(); // made on the task's thread, outside this thread's dispose scope
    }
}
