using System.Runtime.InteropServices;
using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Modeling;
using MLNet.ComposedRetrieval.Modeling.Inference;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// A trained network ready for inference, with what turns raw inputs into its tensors: the image preprocessing, the
/// tokenizer and the text length. Computes composed query embeddings (reference image + text) and image embeddings
/// (the target branch, for galleries) in batches, under <c>torch.inference_mode()</c>. Safe to call from several
/// threads: every call has its own tensors.
/// </summary>
/// <remarks>
/// The network runs as its inference form, one <see cref="InferenceNetwork"/> made once here from the final weights
/// (docs/architecture.md, inference): a ResNet backbone with batch norms folded, on the CPU in oneDNN's tensor layout
/// (<see cref="ImageBackboneExecution"/> says which), a transformer text encoder fused, the text projection, compositor
/// and head folded. The unfolded network is not kept: <see cref="Weights"/> holds only what saving needs (the state
/// dict, or where to read it again). This class never trains.
/// </remarks>
internal sealed class ComposedRetrievalModel : IDisposable
{
    private volatile bool _disposed;

    /// <summary>A model of a trained network: keeps a CPU copy of its state dict for saving.</summary>
    /// <param name="network">The trained network, with both encoders. Owned from now on: disposed once its inference
    /// form is made.</param>
    /// <param name="description">Describes the network (saved with it).</param>
    /// <param name="device">Where the model runs.</param>
    public ComposedRetrievalModel(ComposedRetrievalNetwork network, ModelDescription description, Device device)
        : this(network, description, device, TakeWeights(network)) { }

    /// <summary>A model of a network whose state dict <paramref name="weights"/> gives (owned from now on, as
    /// <paramref name="network"/>, which is disposed once its inference form is made).</summary>
    public ComposedRetrievalModel(ComposedRetrievalNetwork network, ModelDescription description, Device device, ModelWeights weights)
    {
        try
        {
            if (network.ImageBackbone is null || network.TextEncoder is null)
                throw new ArgumentException("An inference model needs both encoders.", nameof(network));
            Description = description;
            Device = device;
            network.to(device);
            network.eval();
            Inference = network.ToInference();
            Weights = weights;
        }
        catch
        {
            weights.Dispose();
            throw;
        }
        finally
        {
            network.Dispose();
        }
    }

    private static ModelWeights TakeWeights(ComposedRetrievalNetwork network)
    {
        try
        {
            return InMemoryModelWeights.CopyOf(network);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
    public void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, typeof(ComposeImageTextTransformer));

    /// <summary>How <see cref="EncodeImages"/> runs the image backbone, for diagnostics.</summary>
    public string ImageBackboneExecution => Inference.ImageEncoderExecution;

    /// <summary>The network's inference form, which every embedding goes through.</summary>
    public InferenceNetwork Inference { get; }

    /// <summary>The trained network's state dict, as saving needs it.</summary>
    public ModelWeights Weights { get; }

    public ModelDescription Description { get; }

    public Device Device { get; }

    /// <summary>D, the width of every embedding.</summary>
    public int EmbeddingDimension => Inference.EmbeddingDimension;

    public ImagePreprocessing Preprocessing => Inference.ImageEncoder!.Preprocessing;

    public ITextTokenizer Tokenizer => Inference.TextEncoder!.Tokenizer;

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
        CopyRows(Inference.EmbedTargetMaps(EncodeImages(pixels)), destination);
    }

    /// <summary>Backbone maps of preprocessed images.</summary>
    internal Tensor EncodeImages(Tensor pixels) => Inference.EncodeImages(pixels);

    /// <summary>Sentence features of token ids and mask.</summary>
    internal Tensor EncodeText(Tensor ids, Tensor mask) => Inference.EncodeText(ids, mask);

    /// <summary>Query embeddings of backbone maps and sentence features.</summary>
    internal Tensor Compose(Tensor maps, Tensor sentences) => Inference.Compose(maps, sentences);

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
        Inference.Dispose();
        Weights.Dispose();
    }
}
