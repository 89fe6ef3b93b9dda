using System.Runtime.InteropServices;
using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// A trained network ready for inference, with what turns raw inputs into its tensors: the image preprocessing, the
/// tokenizer and the text length. Computes composed query embeddings (reference image + text) and image embeddings
/// (the target branch, for galleries) in batches, under <c>torch.inference_mode()</c>. Safe to call from several
/// threads: the network stays in evaluation mode and every call has its own tensors.
/// </summary>
/// <remarks>
/// A ResNet image backbone runs as a <see cref="FoldedResNet"/> (batch norms folded into the convolutions), made
/// once here from the final weights, and on the CPU run in oneDNN's tensor layout, for queries and gallery batches alike
/// (<see cref="FoldedResNet.TryUseOneDnn"/>; dense where that is unavailable, see <see cref="ImageBackboneExecution"/>).
/// Likewise a transformer text encoder runs as a <see cref="FoldedTransformerEncoder"/>, and the text projection,
/// compositor and head as a <see cref="FoldedComposer"/>. This class never trains, and <see cref="Network"/> keeps the
/// unfolded modules for saving. Do not change <see cref="Network"/>'s weights after construction; build a new model instead.
/// </remarks>
internal sealed class ComposedRetrievalModel : IDisposable
{
    private volatile bool _disposed;
    private readonly FoldedResNet? _foldedBackbone;
    private readonly FoldedTransformerEncoder? _foldedTextEncoder;
    private readonly FoldedComposer _composer;

    public ComposedRetrievalModel(ComposedRetrievalNetwork network, ModelDescription description, Device device)
    {
        if (network.ImageBackbone is null || network.TextEncoder is null)
            throw new ArgumentException("An inference model needs both encoders.", nameof(network));
        Network = network;
        Description = description;
        Device = device;
        network.to(device);
        network.eval();
        _foldedBackbone = (network.ImageBackbone as ResNetBackbone)?.FoldBatchNorm();
        _foldedTextEncoder = (network.TextEncoder as TransformerTextEncoder)?.FoldForInference();
        _composer = network.FoldComposer();
        ImageBackboneExecution = _foldedBackbone is null ? "as trained (batch norm folding needs a ResNet)"
            : _foldedBackbone.TryUseOneDnn(out var reason) ? "ResNet with batch norm folded, in oneDNN's layout"
            : $"ResNet with batch norm folded, dense (oneDNN not used: {reason})";
    }

    /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
    public void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, typeof(ComposeImageTextTransformer));

    /// <summary>How <see cref="EncodeImages"/> runs the image backbone, for diagnostics.</summary>
    public string ImageBackboneExecution { get; }

    public ComposedRetrievalNetwork Network { get; }

    public ModelDescription Description { get; }

    public Device Device { get; }

    /// <summary>D, the width of every embedding.</summary>
    public int EmbeddingDimension => Network.Options.EmbeddingDimension;

    public ImagePreprocessing Preprocessing => Network.ImageBackbone!.Preprocessing;

    public ITextTokenizer Tokenizer => Network.TextEncoder!.Tokenizer;

    /// <summary>Brings a decoded image to the encoder's input size (done as rows are read, so a batch holds only small images).</summary>
    public RgbImage Prepare(RgbImage image) => ImageBatch.Prepare(image, Preprocessing);

    /// <summary>Writes the composed query embeddings of (reference, text) pairs, row after row, into <paramref name="destination"/>.</summary>
    public void ComposeQueries(IReadOnlyList<RgbImage> references, IReadOnlyList<string> texts, Span<float> destination)
    {
        ThrowIfDisposed();
        if (references.Count != texts.Count)
            throw new ArgumentException($"{references.Count} reference images but {texts.Count} texts.", nameof(texts));
        if (references.Count == 0) return;
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        var pixels = ImageBatch.FromImages(references, Preprocessing).to(Device);
        var (ids, mask) = TokenBatch.Encode(Tokenizer, texts, Description.MaxTextLength);
        var queries = Compose(EncodeImages(pixels), EncodeText(ids.to(Device), mask.to(Device)));
        CopyRows(queries, destination);
    }

    /// <summary>Writes the embeddings of images as gallery/target images into <paramref name="destination"/>.</summary>
    public void EmbedImages(IReadOnlyList<RgbImage> images, Span<float> destination)
    {
        ThrowIfDisposed();
        if (images.Count == 0) return;
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        var pixels = ImageBatch.FromImages(images, Preprocessing).to(Device);
        CopyRows(Network.EmbedTargetMaps(EncodeImages(pixels)), destination);
    }

    /// <summary>Backbone maps of preprocessed images, through the folded ResNet when there is one.</summary>
    internal Tensor EncodeImages(Tensor pixels) => _foldedBackbone?.forward(pixels) ?? Network.EncodeImages(pixels);

    /// <summary>Sentence features of token ids and mask, through the folded transformer when there is one.</summary>
    internal Tensor EncodeText(Tensor ids, Tensor mask) => _foldedTextEncoder?.forward(ids, mask) ?? Network.EncodeText(ids, mask);

    /// <summary>Query embeddings of backbone maps and sentence features, through the folded composer.</summary>
    internal Tensor Compose(Tensor maps, Tensor sentences) => _composer.forward(maps, sentences);

    /// <summary>
    /// Runs one composed query on a blank image, so that the first real single query does not pay for the one-time
    /// work of a new input shape (oneDNN primitive creation for batch 1, JIT compilation): the first query of a process
    /// took 0.6-0.7 s against 0.15-0.2 s for later ones on a 2-core machine (benchmarks/README.md, latency). Changes
    /// no state a result depends on.
    /// </summary>
    public void WarmUp()
    {
        var blank = new RgbImage(Preprocessing.Width, Preprocessing.Height, new byte[3 * Preprocessing.Width * Preprocessing.Height]);
        ComposeQueries([blank], ["warm up"], new float[EmbeddingDimension]);
    }

    private void CopyRows(Tensor embeddings, Span<float> destination)
    {
        var values = embeddings.to(ScalarType.Float32).cpu().contiguous();
        var source = MemoryMarshal.Cast<byte, float>(values.bytes);
        if (source.Length > destination.Length)
            throw new ArgumentException($"{source.Length} embedding values do not fit a buffer of {destination.Length}.", nameof(destination));
        source.CopyTo(destination);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _foldedBackbone?.Dispose();
        _foldedTextEncoder?.Dispose();
        _composer.Dispose();
        Network.Dispose();
    }
}
