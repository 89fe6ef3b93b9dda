namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>How a <see cref="TransformerTextEncoder"/> turns its per-token states into one sentence feature
/// (docs/method.md "Network", text encoder).</summary>
internal enum SentencePooling
{
    /// <summary>Mean of the states of the real (unmasked) tokens: how sentence encoders such as MiniLM are trained.</summary>
    MaskedMean,

    /// <summary>The state of the first token (<c>[CLS]</c> / <c>&lt;s&gt;</c>): the paper's choice for RoBERTa.</summary>
    FirstToken,
}
