namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>Turns a sentence into the token ids a <see cref="TextEncoder"/> expects.</summary>
internal interface ITextTokenizer
{
    /// <summary>The id used to pad a batch to one length.</summary>
    int PaddingId { get; }

    /// <summary>Token ids including the encoder's special tokens, truncated to <paramref name="maxLength"/>.</summary>
    IReadOnlyList<int> Encode(string text, int maxLength);
}
