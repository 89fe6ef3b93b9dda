using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling.Inference;

/// <summary>
/// The inference form of a <see cref="ComposedRetrievalNetwork"/>, made by its <see cref="ComposedRetrievalNetwork.ToInference"/>:
/// the encoders' inference forms, the <see cref="FoldedComposer"/> (text projection, compositor and head) and a copy
/// of the image head for target images. The same functions as the network in evaluation mode, up to float rounding
/// (docs/architecture.md, inference). A snapshot, like its parts: it owns its weights, shares none with the network,
/// and cannot be put in training mode. Safe to call from several threads (every call has its own tensors).
/// </summary>
/// <remarks>
/// Like the network, it may lack either encoder (a network trained on precomputed features): the methods that need
/// the missing one throw, the others work.
/// </remarks>
internal sealed class InferenceNetwork : nn.Module
{
    private readonly InferenceImageEncoder? imageEncoder;
    private readonly InferenceTextEncoder? textEncoder;
    private readonly FoldedComposer composer;
    private readonly ImageEmbeddingHead targetHead;

    /// <summary>Takes ownership of the parts (the network's <see cref="ComposedRetrievalNetwork.ToInference"/> makes
    /// them) and picks the image encoder's fastest execution (<see cref="InferenceImageEncoder.SelectExecution"/>).</summary>
    public InferenceNetwork(InferenceImageEncoder? imageEncoder, InferenceTextEncoder? textEncoder, FoldedComposer composer,
        ImageEmbeddingHead targetHead) : base(nameof(InferenceNetwork))
    {
        ArgumentNullException.ThrowIfNull(composer);
        ArgumentNullException.ThrowIfNull(targetHead);
        this.imageEncoder = imageEncoder;
        this.textEncoder = textEncoder;
        this.composer = composer;
        this.targetHead = targetHead;
        EmbeddingDimension = targetHead.EmbeddingDimension;
        RegisterComponents();
        eval();
        ImageEncoderExecution = imageEncoder?.SelectExecution() ?? "no image encoder (the network takes precomputed maps)";
    }

    /// <summary>D, the width of every embedding.</summary>
    public int EmbeddingDimension { get; }

    /// <summary>How <see cref="EncodeImages"/> runs the image encoder, for diagnostics.</summary>
    public string ImageEncoderExecution { get; }

    /// <summary>The image encoder, or null when the network took precomputed maps.</summary>
    public InferenceImageEncoder? ImageEncoder => imageEncoder;

    /// <summary>The text encoder, or null when the network took precomputed sentence features.</summary>
    public InferenceTextEncoder? TextEncoder => textEncoder;

    /// <summary>The folded text projection, compositor and head.</summary>
    public FoldedComposer Composer => composer;

    /// <summary>Preprocessed images [B, 3, H, W] to backbone maps [B, C, h, w].</summary>
    public Tensor EncodeImages(Tensor images) => RequireImageEncoder().forward(images);

    /// <summary>Token ids and mask [B, L] to raw sentence features [B, text feature width].</summary>
    public Tensor EncodeText(Tensor ids, Tensor mask) => RequireTextEncoder().forward(ids, mask);

    /// <summary>Reference maps [B, C, h, w] and raw sentence features to query features f_s [B, D]
    /// (<see cref="ComposedRetrievalNetwork.ComposeFromFeatures"/>).</summary>
    public Tensor Compose(Tensor maps, Tensor sentences) => composer.forward(maps, sentences);

    /// <summary>Backbone maps of target images [B, C, h, w] to target features f_t [B, D]
    /// (<see cref="ComposedRetrievalNetwork.EmbedTargetMaps"/>).</summary>
    public Tensor EmbedTargetMaps(Tensor maps) => targetHead.forward(maps);

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">When asked for training mode.</exception>
    public override void train(bool train = true)
    {
        if (train)
            throw new InvalidOperationException("An InferenceNetwork is for inference only; train the ComposedRetrievalNetwork it was made from.");
        base.train(false);
    }

    private InferenceImageEncoder RequireImageEncoder() => imageEncoder ??
        throw new InvalidOperationException("This inference network has no image encoder (its network took precomputed maps).");

    private InferenceTextEncoder RequireTextEncoder() => textEncoder ??
        throw new InvalidOperationException("This inference network has no text encoder (its network took precomputed sentence features).");
}
