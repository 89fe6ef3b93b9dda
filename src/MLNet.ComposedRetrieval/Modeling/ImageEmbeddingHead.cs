using MLNet.ComposedRetrieval.Modeling.Inference;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>
/// The upper part of the image encoder, shared by target images and composed queries (docs/method.md "Network"):
/// global average pool, Linear(C -> D), L2-normalise, multiply by a fixed norm scale. Every output row has norm
/// <see cref="NormScale"/>, so the InfoNCE logits f_s · f_t are <c>NormScale²</c> × cosine (16 × cosine for the
/// default 4: the method has no separate temperature).
/// </summary>
internal sealed class ImageEmbeddingHead : nn.Module<Tensor, Tensor>
{
    private readonly Linear projection;

    /// <param name="inChannels">C, the channels of the incoming map.</param>
    /// <param name="embeddingDimension">D, the embedding width (512 in the paper).</param>
    /// <param name="normScale">The norm of every output row (4 in the paper).</param>
    public ImageEmbeddingHead(int inChannels, int embeddingDimension = 512, double normScale = 4)
        : base(nameof(ImageEmbeddingHead))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(embeddingDimension, 1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(normScale);
        EmbeddingDimension = embeddingDimension;
        NormScale = normScale;
        projection = nn.Linear(inChannels, embeddingDimension);
        RegisterComponents();
    }

    /// <summary>D, the width of the output.</summary>
    public int EmbeddingDimension { get; }

    /// <summary>The norm of every output row.</summary>
    public double NormScale { get; }

    /// <summary>Linear(C -> D), applied after the pooling.</summary>
    internal Linear Projection => projection;

    /// <summary>This head's inference form: a copy of it in evaluation mode (it has nothing to fold), for target images.</summary>
    public ImageEmbeddingHead ToInference() =>
        InferenceCopy.Of(this, () => new ImageEmbeddingHead((int)projection.in_features, EmbeddingDimension, NormScale));

    /// <summary>Map [B, C, H, W] to embeddings [B, D] of norm <see cref="NormScale"/>.</summary>
    public override Tensor forward(Tensor map)
    {
        TensorShape.RequireRank(map, 4, "Image embedding head input", "a map [B, C, H, W]");
        using var scope = NewDisposeScope();
        var pooled = map.mean([2, 3]);
        var embedding = nn.functional.normalize(projection.forward(pooled), p: 2, dim: 1);
        return embedding.mul(NormScale).MoveToOuterDisposeScope();
    }
}
