using System.Text.Json.Serialization;
using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Modeling;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// Everything besides tensors that rebuilds a trained network: encoder choices and sizes, the tokenizer's vocabulary,
/// the image preprocessing and the upper network's sizes. Written as JSON into the model file; the preprocessing's
/// mean image, if any, is stored with the tensors.
/// </summary>
internal sealed record ModelDescription
{
    public ImageEncoderArchitecture ImageEncoder { get; init; }

    /// <summary>ResNet block kind and counts (ResNet encoders).</summary>
    public ResNetBlockKind ResNetBlock { get; init; } = ResNetBlockKind.Basic;
    public int[] ResNetBlockCounts { get; init; } = [];
    public bool Layer4StrideOne { get; init; }

    /// <summary>Input size, channels and output grid of the small convolutional encoder.</summary>
    public int SmallImageInputSize { get; init; } = 64;
    public int SmallImageChannels { get; init; } = 64;
    public int SmallImageGrid { get; init; } = 4;

    public TextEncoderArchitecture TextEncoder { get; init; }

    /// <summary>Width, layers and heads of the small text transformer.</summary>
    public int SmallTextDimension { get; init; } = 64;
    public int SmallTextLayers { get; init; } = 1;
    public int SmallTextHeads { get; init; } = 4;

    /// <summary>Tokens kept per text (special tokens included).</summary>
    public int MaxTextLength { get; init; } = 64;

    /// <summary>The word vocabulary of the small text encoder, in id order.</summary>
    public string[]? WordVocabulary { get; init; }

    /// <summary>The WordPiece vocabulary (vocab.txt) of a BERT-family encoder.</summary>
    public string? WordPieceVocabulary { get; init; }

    /// <summary>The sizes of a BERT-family encoder (MiniLM).</summary>
    public TransformerOptions? Transformer { get; init; }

    public bool ImageEncoderFineTuned { get; init; }
    public bool TextEncoderFineTuned { get; init; }

    /// <summary>Sizes of the compositor and heads.</summary>
    public int EmbeddingDimension { get; init; } = 512;
    public double NormScale { get; init; } = 4;
    public int CompositorHeads { get; init; } = 8;

    /// <summary>Ablations of the upper network (absent from older files: the method's settings).</summary>
    public double TextDropout { get; init; }
    public bool EqualizedStyleLinears { get; init; } = true;

    /// <summary>How images are prepared for the image encoder (the mean image, if any, travels with the tensors).</summary>
    public PreprocessingDescription Preprocessing { get; init; } = new();

    [JsonIgnore]
    public ComposedNetworkOptions NetworkOptions => new()
    {
        EmbeddingDimension = EmbeddingDimension, NormScale = NormScale, Heads = CompositorHeads,
        TextDropout = TextDropout, EqualizedStyleLinears = EqualizedStyleLinears,
    };
}

/// <summary><see cref="ImagePreprocessing"/> without its mean image values.</summary>
internal sealed record PreprocessingDescription
{
    public int Width { get; init; }
    public int Height { get; init; }
    public bool Bgr { get; init; }
    public float Scale { get; init; }
    public float[] Mean { get; init; } = [];
    public float[] Std { get; init; } = [];
    public string? MeanImageKey { get; init; }

    public static PreprocessingDescription From(ImagePreprocessing p) => new()
    {
        Width = p.Width, Height = p.Height, Bgr = p.Bgr, Scale = p.Scale, Mean = p.Mean, Std = p.Std, MeanImageKey = p.MeanImageKey,
    };

    public ImagePreprocessing ToPreprocessing(float[]? meanImage)
    {
        var preprocessing = new ImagePreprocessing(Width, Height, Bgr, Scale, Mean, Std, MeanImageKey, meanImage);
        preprocessing.Validate();
        return preprocessing;
    }
}
