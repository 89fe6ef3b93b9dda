using MLNet.ComposedRetrieval.Modeling.Inference;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>
/// A BERT-family transformer sentence encoder (BERT, MiniLM, RoBERTa; docs/method.md "Network", text encoder):
/// token ids and attention mask in, one pooled feature per sentence out. Parameter names are Hugging Face's
/// (<c>embeddings.*</c>, <c>encoder.layer.N.*</c>) without a model prefix, so their checkpoints load by name.
/// </summary>
internal sealed class TransformerTextEncoder : TextEncoder
{
    private readonly TransformerEmbeddings embeddings;
    private readonly TransformerLayerStack encoder;

    /// <param name="options">Sizes, variant and pooling; see the presets on <see cref="TransformerOptions"/>.</param>
    /// <param name="tokenizer">Produces the ids this encoder's vocabulary means.</param>
    public TransformerTextEncoder(TransformerOptions options, ITextTokenizer tokenizer)
        : base(nameof(TransformerTextEncoder))
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(tokenizer);
        options.Validate();
        Options = options;
        Tokenizer = tokenizer;
        embeddings = new TransformerEmbeddings(options);
        encoder = new TransformerLayerStack(options);
        RegisterComponents();
    }

    /// <summary>The sizes and variant this encoder was built with.</summary>
    public TransformerOptions Options { get; }

    /// <inheritdoc/>
    public override int OutputDimension => Options.HiddenSize;

    /// <inheritdoc/>
    public override ITextTokenizer Tokenizer { get; }

    /// <summary>Ids [B, L] and mask [B, L] (int64, 1 = real token) to sentence features [B, H], pooled as
    /// <see cref="TransformerOptions.Pooling"/> says.</summary>
    public override Tensor forward(Tensor ids, Tensor mask)
    {
        using var scope = NewDisposeScope();
        return Pool(LastHiddenStates(ids, mask), mask).MoveToOuterDisposeScope();
    }

    /// <summary>Ids [B, L] and mask [B, L] (int64, 1 = real token) to the last layer's token states [B, L, H]
    /// (Hugging Face <c>last_hidden_state</c>).</summary>
    public Tensor LastHiddenStates(Tensor ids, Tensor mask)
    {
        CheckInputs(ids, mask);
        using var scope = NewDisposeScope();
        // [B, 1, 1, L]: every query row may look at the real tokens only.
        var keyMask = mask.ne(0).unsqueeze(1).unsqueeze(1);
        return encoder.forward(embeddings.forward(ids), keyMask).MoveToOuterDisposeScope();
    }

    /// <summary>Token states [B, L, H] to sentence features [B, H].</summary>
    public Tensor Pool(Tensor hiddenStates, Tensor mask) => Pool(hiddenStates, mask, Options.Pooling);

    /// <summary>
    /// An inference-only snapshot of this encoder's <see cref="forward"/> in evaluation mode, with fused and
    /// pre-transposed weights (see <see cref="FoldedTransformerEncoder"/>), from the current weights. This encoder is
    /// left as it is.
    /// </summary>
    public override FoldedTransformerEncoder ToInference() => new(this, embeddings, encoder.Layers.Select(layer => layer.ToInference()));

    /// <summary>Token states [B, L, H] and mask [B, L] to sentence features [B, H], pooled as <paramref name="pooling"/> says.</summary>
    internal static Tensor Pool(Tensor hiddenStates, Tensor mask, SentencePooling pooling)
    {
        using var scope = NewDisposeScope();
        if (pooling == SentencePooling.FirstToken)
            return hiddenStates.select(1, 0).MoveToOuterDisposeScope();

        // sentence-transformers' mean pooling: padding contributes nothing; the clamp only guards empty rows.
        var weights = mask.unsqueeze(-1).to(hiddenStates.dtype);
        var summed = (hiddenStates * weights).sum(1);
        return (summed / weights.sum(1).clamp_min(1e-9)).MoveToOuterDisposeScope();
    }

    /// <summary>Throws unless ids are int64 [B, L] and the mask has their shape.</summary>
    internal static void CheckInputs(Tensor ids, Tensor mask)
    {
        if (ids.dim() != 2 || ids.dtype != ScalarType.Int64)
            throw new ArgumentException($"Token ids must be an int64 tensor [B, L]; got {ids.dtype} [{string.Join(", ", ids.shape)}].", nameof(ids));
        if (!mask.shape.SequenceEqual(ids.shape))
            throw new ArgumentException(
                $"Attention mask shape [{string.Join(", ", mask.shape)}] differs from the ids' [{string.Join(", ", ids.shape)}].", nameof(mask));
    }
}
