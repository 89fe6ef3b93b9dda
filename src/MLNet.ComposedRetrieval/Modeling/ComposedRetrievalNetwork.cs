using MLNet.ComposedRetrieval.Modeling.Inference;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>
/// The whole network of docs/method.md "Network" (the paper's Figure 3): image backbone (lower part), text encoder, text projection,
/// CoSMo compositor and the image embedding head shared by targets and composed queries.
/// <list type="bullet">
/// <item>target feature f_t = head(backbone(target image));</item>
/// <item>query feature f_s = head(compositor(backbone(reference image), projection(text encoder(text)))).</item>
/// </list>
/// The backbone and the text encoder are optional: without one, callers pass precomputed backbone maps or
/// raw sentence features (the frozen-encoder + feature-cache mode) to the <c>...Features</c>/<c>...Maps</c>
/// methods. Works in float32 and, after <c>.to(float64)</c>, in float64.
/// Component names (checkpoint keys): <c>image_backbone</c>, <c>text_encoder</c>, <c>text_projection</c>,
/// <c>compositor</c>, <c>image_head</c>.
/// </summary>
internal sealed class ComposedRetrievalNetwork : nn.Module
{
    [ComponentName(Name = "image_backbone")]
    private readonly ImageBackbone? imageBackbone;
    [ComponentName(Name = "text_encoder")]
    private readonly TextEncoder? textEncoder;
    [ComponentName(Name = "text_projection")]
    private readonly TextProjection textProjection;
    private readonly ContentStyleCompositor compositor;
    [ComponentName(Name = "image_head")]
    private readonly ImageEmbeddingHead imageHead;

    /// <summary>A network with both encoders; their sizes set the rest.</summary>
    public ComposedRetrievalNetwork(ImageBackbone imageBackbone, TextEncoder textEncoder, ComposedNetworkOptions? options = null)
        : this(imageBackbone.OutputChannels, textEncoder.OutputDimension, options, imageBackbone, textEncoder) { }

    /// <summary>A network where either encoder may be absent (its features are then precomputed by the caller).</summary>
    /// <param name="backboneChannels">C, channels of the backbone maps (the backbone's, when given).</param>
    /// <param name="textFeatureDimension">Width of the raw sentence feature (the text encoder's, when given).</param>
    /// <param name="options">Embedding width, norm scale and heads; the paper's by default.</param>
    /// <param name="imageBackbone">The backbone, or null when maps are precomputed.</param>
    /// <param name="textEncoder">The text encoder, or null when sentence features are precomputed.</param>
    public ComposedRetrievalNetwork(
        int backboneChannels,
        int textFeatureDimension,
        ComposedNetworkOptions? options = null,
        ImageBackbone? imageBackbone = null,
        TextEncoder? textEncoder = null) : base(nameof(ComposedRetrievalNetwork))
    {
        if (imageBackbone is not null && imageBackbone.OutputChannels != backboneChannels)
            throw new ArgumentException(
                $"The backbone gives {imageBackbone.OutputChannels} channels but the network was sized for {backboneChannels}.", nameof(backboneChannels));
        if (textEncoder is not null && textEncoder.OutputDimension != textFeatureDimension)
            throw new ArgumentException(
                $"The text encoder gives {textEncoder.OutputDimension}-d features but the network was sized for {textFeatureDimension}.", nameof(textFeatureDimension));

        Options = options ?? new ComposedNetworkOptions();
        BackboneChannels = backboneChannels;
        TextFeatureDimension = textFeatureDimension;
        this.imageBackbone = imageBackbone;
        this.textEncoder = textEncoder;
        textProjection = new TextProjection(textFeatureDimension, Options.EmbeddingDimension, Options.TextDropout);
        compositor = new ContentStyleCompositor(backboneChannels, Options.EmbeddingDimension, Options.Heads, Options.EqualizedStyleLinears);
        imageHead = new ImageEmbeddingHead(backboneChannels, Options.EmbeddingDimension, Options.NormScale);
        RegisterComponents();
    }

    /// <summary>The sizes this network was built with.</summary>
    public ComposedNetworkOptions Options { get; }

    /// <summary>C, channels of the backbone maps.</summary>
    public int BackboneChannels { get; }

    /// <summary>Width of the raw sentence feature.</summary>
    public int TextFeatureDimension { get; }

    /// <summary>The image backbone, or null when maps are precomputed.</summary>
    public ImageBackbone? ImageBackbone => imageBackbone;

    /// <summary>The text encoder, or null when sentence features are precomputed.</summary>
    public TextEncoder? TextEncoder => textEncoder;

    /// <summary>Preprocessed images [B, 3, H, W] to backbone maps [B, C, h, w].</summary>
    public Tensor EncodeImages(Tensor images) => RequireBackbone().forward(images);

    /// <summary>Token ids and mask [B, L] to raw sentence features [B, text feature width] (before projection).</summary>
    public Tensor EncodeText(Tensor ids, Tensor mask) => RequireTextEncoder().forward(ids, mask);

    /// <summary>Backbone maps of target images [B, C, h, w] to target features f_t [B, D].</summary>
    public Tensor EmbedTargetMaps(Tensor maps) => imageHead.forward(maps);

    /// <summary>
    /// Reference maps [B, C, h, w] and raw sentence features [B, text feature width] to query features f_s [B, D]:
    /// text projection, compositor, then the same head as the targets.
    /// </summary>
    public Tensor ComposeFromFeatures(Tensor referenceMaps, Tensor rawTextFeatures)
    {
        using var scope = NewDisposeScope();
        var text = textProjection.forward(rawTextFeatures);
        return imageHead.forward(compositor.forward(referenceMaps, text)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// This network's inference form, from its current weights: the encoders' own inference forms (those it has),
    /// <see cref="ComposeFromFeatures"/> folded (text projection, compositor and head; see <see cref="FoldedComposer"/>)
    /// and a copy of the head for targets. This network, its mode and its parameters are left as they are; the
    /// snapshot shares no tensor with it.
    /// </summary>
    public InferenceNetwork ToInference()
    {
        var parts = new List<nn.Module>();
        try
        {
            var image = imageBackbone?.ToInference();
            if (image is not null) parts.Add(image);
            var text = textEncoder?.ToInference();
            if (text is not null) parts.Add(text);
            var composer = new FoldedComposer(textProjection, compositor, imageHead);
            parts.Add(composer);
            var targetHead = imageHead.ToInference();
            parts.Add(targetHead);
            return new InferenceNetwork(image, text, composer, targetHead);
        }
        catch
        {
            foreach (var part in parts) part.Dispose();
            throw;
        }
    }

    /// <summary>Preprocessed target images [B, 3, H, W] to target features f_t [B, D].</summary>
    public Tensor EmbedTargets(Tensor images)
    {
        using var scope = NewDisposeScope();
        return EmbedTargetMaps(EncodeImages(images)).MoveToOuterDisposeScope();
    }

    /// <summary>Preprocessed reference images [B, 3, H, W] and token ids/mask [B, L] to query features f_s [B, D].</summary>
    public Tensor ComposeQueries(Tensor referenceImages, Tensor ids, Tensor mask)
    {
        using var scope = NewDisposeScope();
        return ComposeFromFeatures(EncodeImages(referenceImages), EncodeText(ids, mask)).MoveToOuterDisposeScope();
    }

    /// <summary>Target images as the caller has them (pixels or cached backbone maps) to target features f_t [B, D].</summary>
    public Tensor EmbedTargets(ImageInput targets)
    {
        using var scope = NewDisposeScope();
        return EmbedTargetMaps(ToBackboneMaps(targets)).MoveToOuterDisposeScope();
    }

    /// <summary>References and texts as the caller has them (pixels or maps; tokens or cached features) to query features f_s [B, D].</summary>
    public Tensor ComposeQueries(ImageInput references, TextInput texts)
    {
        using var scope = NewDisposeScope();
        return ComposeFromFeatures(ToBackboneMaps(references), ToTextFeatures(texts)).MoveToOuterDisposeScope();
    }

    private Tensor ToBackboneMaps(ImageInput images) => images.IsBackboneMap ? images.Values : EncodeImages(images.Values);

    private Tensor ToTextFeatures(TextInput texts) => texts.Features
        ?? EncodeText(texts.TokenIds ?? throw new ArgumentException("A text input needs token ids or features."),
                      texts.AttentionMask ?? throw new ArgumentException("Token ids need an attention mask."));

    private ImageBackbone RequireBackbone() => imageBackbone ??
        throw new InvalidOperationException("This network has no image backbone (it takes precomputed maps): use EmbedTargetMaps / ComposeFromFeatures.");

    private TextEncoder RequireTextEncoder() => textEncoder ??
        throw new InvalidOperationException("This network has no text encoder (it takes precomputed sentence features): use ComposeFromFeatures.");
}
