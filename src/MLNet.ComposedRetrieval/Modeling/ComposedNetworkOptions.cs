namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>Sizes of the trainable upper network (docs/method.md); the defaults are the paper's.</summary>
internal sealed record ComposedNetworkOptions
{
    /// <summary>D: width of the query/target embeddings and of the projected text feature t.</summary>
    public int EmbeddingDimension { get; init; } = 512;

    /// <summary>The norm of every query/target embedding (so logits are NormScale² × cosine).</summary>
    public double NormScale { get; init; } = 4;

    /// <summary>Attention heads of the compositor; must divide the backbone's channel count.</summary>
    public int Heads { get; init; } = 8;

    /// <summary>Dropout rate after the text projection while training (the paper's Table 3 ablation of the baseline);
    /// 0, the method's, for none. Never active in evaluation.</summary>
    public double TextDropout { get; init; }

    /// <summary>The style module's linears with an equalised learning rate (the method's); false for plain linears.</summary>
    public bool EqualizedStyleLinears { get; init; } = true;
}
