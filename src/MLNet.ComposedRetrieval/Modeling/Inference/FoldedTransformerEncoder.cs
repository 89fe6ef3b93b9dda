using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling.Inference;

/// <summary>
/// An inference-only copy of a <see cref="TransformerTextEncoder"/>: the same function as its <c>forward</c> in
/// evaluation mode up to float rounding, with less overhead per token at small batches: the token-type embedding (every
/// token has type 0) is added into the position table once, each layer's query, key and value projections are one
/// matrix product on pre-transposed weights, and the token states stay [B·L, H] rows between layers
/// (<see cref="FoldedTransformerLayer"/>).
/// </summary>
/// <remarks>
/// A snapshot, like <see cref="FoldedResNet"/>: made by <see cref="TransformerTextEncoder.ToInference"/> from the
/// weights of that moment, which it copies; training the source encoder afterwards does not change it, and nothing in
/// training runs through it. It cannot be put in training mode.
/// </remarks>
internal sealed class FoldedTransformerEncoder : InferenceTextEncoder
{
    private readonly TransformerOptions options;
    private readonly Tensor wordEmbeddings;
    private readonly Tensor positionAndTypeEmbeddings;   // position table + the type-0 row
    private readonly Tensor embeddingNormWeight;
    private readonly Tensor embeddingNormBias;
    private readonly ModuleList<FoldedTransformerLayer> layers;

    /// <summary>Copies the embedding tables of <paramref name="source"/> and takes the layers' inference forms (its
    /// <see cref="TransformerTextEncoder.ToInference"/> makes them).</summary>
    public FoldedTransformerEncoder(TransformerTextEncoder source, TransformerEmbeddings embeddings, IEnumerable<FoldedTransformerLayer> layers)
        : base(nameof(FoldedTransformerEncoder), source.Tokenizer, source.OutputDimension)
    {
        options = source.Options;
        using var noGrad = no_grad();
        wordEmbeddings = embeddings.Words.weight!.clone();
        positionAndTypeEmbeddings = embeddings.Positions.weight!.add(embeddings.TokenTypes.weight![0]);
        embeddingNormWeight = embeddings.Norm.weight!.clone();
        embeddingNormBias = embeddings.Norm.bias!.clone();
        this.layers = new ModuleList<FoldedTransformerLayer>(layers.ToArray());
        RegisterComponents();
        eval();
    }

    /// <summary>Ids [B, L] and mask [B, L] (int64, 1 = real token) to sentence features [B, H], as
    /// <see cref="TransformerTextEncoder.forward"/> in evaluation mode.</summary>
    public override Tensor forward(Tensor ids, Tensor mask)
    {
        TransformerTextEncoder.CheckInputs(ids, mask);
        using var scope = NewDisposeScope();
        var (batch, length, hidden) = (ids.shape[0], ids.shape[1], options.HiddenSize);
        var positions = TransformerEmbeddings.PositionIds(ids, options);
        var embedded = wordEmbeddings.index_select(0, ids.reshape(-1))
            .add_(positionAndTypeEmbeddings.index_select(0, positions.reshape(-1)));
        var rows = nn.functional.layer_norm(embedded, [hidden], embeddingNormWeight, embeddingNormBias, options.LayerNormEpsilon);
        // [B, 1, 1, L]: every query row may look at the real tokens only.
        var keyMask = mask.ne(0).view(batch, 1, 1, length);
        foreach (var layer in layers)
            rows = layer.forward(rows, keyMask);
        return TransformerTextEncoder.Pool(rows.view(batch, length, hidden), mask, options.Pooling).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">When asked for training mode.</exception>
    public override void train(bool train = true)
    {
        if (train)
            throw new InvalidOperationException("A FoldedTransformerEncoder is for inference only; train the TransformerTextEncoder it was made from.");
        base.train(false);
    }
}
