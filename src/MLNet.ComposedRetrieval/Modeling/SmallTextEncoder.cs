using MLNet.ComposedRetrieval.Modeling.Inference;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>
/// A small, randomly initialised sentence encoder for tests and the synthetic demo: token embedding plus a
/// learned position embedding, a TransformerEncoder of <c>layers</c> layers (so word order and context count:
/// "red, not blue" differs from "blue, not red"), then mean pooling over the real tokens (mask 1), as
/// MiniLM-style sentence encoders pool. Takes ids from a <see cref="WordTokenizer"/>.
/// </summary>
internal sealed class SmallTextEncoder : TextEncoder
{
    private readonly Embedding tokens;
    private readonly Embedding positions;
    private readonly TransformerEncoder encoder;
    private readonly WordTokenizer tokenizer;
    private readonly int dimension;
    private readonly int maxLength;
    private readonly int layers;
    private readonly int heads;
    private readonly double dropout;

    /// <param name="tokenizer">The tokenizer whose ids this encoder reads; its vocabulary size sets the embedding table.</param>
    /// <param name="dimension">Width of token states and of the sentence feature.</param>
    /// <param name="layers">Transformer layers.</param>
    /// <param name="heads">Attention heads; must divide <paramref name="dimension"/>.</param>
    /// <param name="maxLength">The longest token sequence accepted (size of the position table).</param>
    /// <param name="dropout">Dropout inside the transformer layers (training mode only).</param>
    public SmallTextEncoder(WordTokenizer tokenizer, int dimension = 64, int layers = 1, int heads = 4, int maxLength = 32, double dropout = 0.1)
        : base(nameof(SmallTextEncoder))
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(layers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        if (heads < 1 || dimension % heads != 0)
            throw new ArgumentException($"The text encoder's {heads} heads must divide its width {dimension}.", nameof(heads));

        this.tokenizer = tokenizer;
        this.dimension = dimension;
        this.maxLength = maxLength;
        this.layers = layers;
        this.heads = heads;
        this.dropout = dropout;
        tokens = nn.Embedding(tokenizer.VocabularySize, dimension, padding_idx: tokenizer.PaddingId);
        positions = nn.Embedding(maxLength, dimension);
        encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(dimension, heads, 2 * dimension, dropout), layers);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override int OutputDimension => dimension;

    /// <inheritdoc/>
    public override ITextTokenizer Tokenizer => tokenizer;

    /// <summary>The longest token sequence accepted.</summary>
    public int MaxLength => maxLength;

    /// <summary>ids [B, L] and mask [B, L] (int64, 1 = real token) to sentence features [B, dimension].</summary>
    public override Tensor forward(Tensor ids, Tensor mask)
    {
        TensorShape.RequireRank(ids, 2, "Small text encoder ids", "[B, L]");
        if (!ids.shape.SequenceEqual(mask.shape))
            throw new ArgumentException($"Small text encoder: the mask {TensorShape.Format(mask)} must have the ids' shape {TensorShape.Format(ids)}.");
        if (ids.shape[1] > maxLength)
            throw new ArgumentException($"Small text encoder: {ids.shape[1]} tokens exceed its maximum length {maxLength}.", nameof(ids));

        using var scope = NewDisposeScope();
        var length = ids.shape[1];
        var states = tokens.forward(ids).add(positions.forward(arange(length, device: ids.device)));   // [B, L, E]
        // The native transformer takes [L, B, E]; a padding mask of all-true would make its softmax NaN, so an
        // empty sentence keeps its first (padding) position visible. Pooling below still ignores it.
        var real = mask.ne(0);
        var emptyRows = real.any(1, keepdim: true);
        var firstPosition = arange(length, device: ids.device).eq(0).unsqueeze(0);
        var keyPadding = real.logical_or(emptyRows.logical_not().logical_and(firstPosition)).logical_not();
        var encoded = encoder.forward(states.transpose(0, 1), null, keyPadding).transpose(0, 1);        // [B, L, E]
        return MaskedMean(encoded, real).MoveToOuterDisposeScope();
    }

    /// <summary>A copy of this encoder run as trained, in evaluation mode (it has no folded form).</summary>
    public override InferenceTextEncoder ToInference() =>
        new EvaluationModeTextEncoder(InferenceCopy.Of(this, () => new SmallTextEncoder(tokenizer, dimension, layers, heads, maxLength, dropout)));

    /// <summary>Mean over the real positions; zero for a sentence without tokens.</summary>
    private static Tensor MaskedMean(Tensor states, Tensor real)
    {
        var weights = real.unsqueeze(-1).to_type(states.dtype);
        return states.mul(weights).sum(1).div(weights.sum(1).clamp_min(1));
    }
}
