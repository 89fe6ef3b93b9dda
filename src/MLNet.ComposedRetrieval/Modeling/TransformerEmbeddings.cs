using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>
/// The input layer of a BERT-family encoder: word + position + token-type embeddings, LayerNorm, dropout.
/// Field names are Hugging Face's (<c>word_embeddings</c>, <c>LayerNorm</c>, ...) so parameter names match
/// their checkpoints.
/// </summary>
internal sealed class TransformerEmbeddings : nn.Module<Tensor, Tensor>
{
    // Field names are Hugging Face's: they become the parameter names.
    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly Embedding token_type_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;
    private readonly TransformerOptions options;

    public TransformerEmbeddings(TransformerOptions options) : base(nameof(TransformerEmbeddings))
    {
        this.options = options;
        word_embeddings = nn.Embedding(options.VocabularySize, options.HiddenSize, padding_idx: options.PaddingId);
        position_embeddings = options.PositionsAfterPaddingId
            ? nn.Embedding(options.MaxPositions, options.HiddenSize, padding_idx: options.PaddingId)
            : nn.Embedding(options.MaxPositions, options.HiddenSize);
        token_type_embeddings = nn.Embedding(options.TokenTypeCount, options.HiddenSize);
        LayerNorm = nn.LayerNorm(options.HiddenSize, options.LayerNormEpsilon);
        dropout = nn.Dropout(options.Dropout);
        RegisterComponents();
    }

    /// <summary>The word, position and token-type tables and the LayerNorm (read by <see cref="Inference.FoldedTransformerEncoder"/>).</summary>
    internal Embedding Words => word_embeddings;
    internal Embedding Positions => position_embeddings;
    internal Embedding TokenTypes => token_type_embeddings;
    internal LayerNorm Norm => LayerNorm;

    /// <summary>Token ids [B, L] (int64) to embedded tokens [B, L, H]; every token has type 0.</summary>
    public override Tensor forward(Tensor ids)
    {
        using var scope = NewDisposeScope();
        var positions = PositionIds(ids);
        var types = zeros_like(ids);
        var sum = word_embeddings.forward(ids) + position_embeddings.forward(positions) + token_type_embeddings.forward(types);
        return dropout.forward(LayerNorm.forward(sum)).MoveToOuterDisposeScope();
    }

    /// <summary>Position ids [B, L] (int64) for token ids [B, L].</summary>
    internal Tensor PositionIds(Tensor ids) => PositionIds(ids, options);

    /// <summary>Position ids [B, L] (int64) for token ids [B, L] of an encoder with these options.</summary>
    internal static Tensor PositionIds(Tensor ids, TransformerOptions options)
    {
        var length = ids.shape[1];
        if (length > options.MaxSequenceLength)
            throw new ArgumentException(
                $"Token sequence of length {length} exceeds the encoder's maximum of {options.MaxSequenceLength}; truncate when tokenising.");
        if (!options.PositionsAfterPaddingId)
            return arange(length, dtype: ScalarType.Int64, device: ids.device).unsqueeze(0).expand_as(ids);

        // RoBERTa (Hugging Face create_position_ids_from_input_ids): padding keeps PaddingId, real tokens
        // count PaddingId + 1, PaddingId + 2, ... so its position table starts at row PaddingId + 1.
        var isReal = ids.ne(options.PaddingId).to(ScalarType.Int64);
        return isReal.cumsum(1) * isReal + options.PaddingId;
    }
}
