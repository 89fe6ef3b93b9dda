using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Modeling;
using MLNet.ComposedRetrieval.Pretrained;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// Builds the encoders a <see cref="ModelDescription"/> names: with their pretrained weights for training, or as the
/// bare architecture when a model file supplies every weight.
/// </summary>
internal static class EncoderFactory
{
    /// <summary>Vocabulary cap of the small text encoder's word tokenizer.</summary>
    private const int MaxWordVocabulary = 20000;

    /// <summary>The image encoder for training (pretrained weights where the architecture has them) and the
    /// description updated with its architecture and preprocessing.</summary>
    public static (ImageBackbone Backbone, ModelDescription Description) CreateForTraining(ModelDescription description)
    {
        switch (description.ImageEncoder)
        {
            case ImageEncoderArchitecture.ResNet18:
                var resnet = PretrainedResNet18.Create(description.Layer4StrideOne);
                return (resnet, description with
                {
                    ResNetBlock = resnet.Architecture.Block,
                    ResNetBlockCounts = resnet.Architecture.BlockCounts.ToArray(),
                    Preprocessing = PreprocessingDescription.From(resnet.Preprocessing),
                });
            case ImageEncoderArchitecture.SmallConvNet:
                var small = CreateSmall(description);
                return (small, description with { Preprocessing = PreprocessingDescription.From(small.Preprocessing) });
            default:
                throw UnknownImageEncoder(description.ImageEncoder);
        }
    }

    /// <summary>The text encoder for training and the description updated with its vocabulary.</summary>
    /// <param name="description">The choices.</param>
    /// <param name="trainingTexts">The training texts (the small encoder's vocabulary is built from them).</param>
    public static (TextEncoder Encoder, ModelDescription Description) CreateForTraining(ModelDescription description, IEnumerable<string> trainingTexts)
    {
        switch (description.TextEncoder)
        {
            case TextEncoderArchitecture.SmallTransformer:
                var tokenizer = WordTokenizer.Build(trainingTexts, minimumCount: 1, maximumVocabularySize: MaxWordVocabulary);
                var updated = description with { WordVocabulary = tokenizer.Vocabulary.ToArray() };
                return (CreateSmall(updated, tokenizer), updated);
            case TextEncoderArchitecture.MiniLM:
                var miniLm = MiniLm.Create();
                if (description.MaxTextLength > miniLm.Options.MaxSequenceLength)
                    throw new ArgumentOutOfRangeException(nameof(description), description.MaxTextLength,
                        $"MiniLM takes at most {miniLm.Options.MaxSequenceLength} tokens per text.");
                return (miniLm, description with { Transformer = miniLm.Options, WordPieceVocabulary = MiniLmVocabulary() });
            default:
                throw UnknownTextEncoder(description.TextEncoder);
        }
    }

    /// <summary>The bare image encoder of a saved model (its weights come from the file).</summary>
    public static ImageBackbone CreateForLoading(ModelDescription description, ImagePreprocessing preprocessing) =>
        description.ImageEncoder switch
        {
            ImageEncoderArchitecture.ResNet18 => new ResNetBackbone(
                new ResNetArchitecture(description.ResNetBlock, description.ResNetBlockCounts, description.Layer4StrideOne),
                preprocessing, name: "resnet18_imagenet"),
            ImageEncoderArchitecture.SmallConvNet => CreateSmall(description),
            _ => throw UnknownImageEncoder(description.ImageEncoder),
        };

    /// <summary>The bare text encoder of a saved model, with its tokenizer rebuilt from the saved vocabulary.</summary>
    public static TextEncoder CreateForLoading(ModelDescription description) =>
        description.TextEncoder switch
        {
            TextEncoderArchitecture.SmallTransformer => CreateSmall(description, new WordTokenizer(
                description.WordVocabulary ?? throw new InvalidDataException("The model file has no word vocabulary for its small text encoder."))),
            TextEncoderArchitecture.MiniLM => new TransformerTextEncoder(
                description.Transformer ?? throw new InvalidDataException("The model file has no transformer sizes for its MiniLM text encoder."),
                BertTextTokenizer.FromVocabulary(
                    new MemoryStream(System.Text.Encoding.UTF8.GetBytes(description.WordPieceVocabulary
                        ?? throw new InvalidDataException("The model file has no WordPiece vocabulary for its MiniLM text encoder."))),
                    "the model file's WordPiece vocabulary")),
            _ => throw UnknownTextEncoder(description.TextEncoder),
        };

    /// <summary>The bare network of a saved model: both encoders and the upper part, sized by the description, every
    /// weight still to be loaded.</summary>
    public static ComposedRetrievalNetwork CreateNetworkForLoading(ModelDescription description, ImagePreprocessing preprocessing) =>
        new(CreateForLoading(description, preprocessing), CreateForLoading(description), description.NetworkOptions);

    /// <summary>MiniLM's vocab.txt, kept in the model file so a saved model needs nothing else to tokenise.</summary>
    private static string MiniLmVocabulary()
    {
        using var reader = new StreamReader(MiniLm.OpenResource(MiniLm.VocabularyResource));
        return reader.ReadToEnd();
    }

    private static SmallConvBackbone CreateSmall(ModelDescription d) =>
        new(d.SmallImageInputSize, d.SmallImageChannels, d.SmallImageGrid);

    private static SmallTextEncoder CreateSmall(ModelDescription d, WordTokenizer tokenizer) =>
        new(tokenizer, d.SmallTextDimension, d.SmallTextLayers, d.SmallTextHeads, maxLength: d.MaxTextLength);

    private static InvalidDataException UnknownImageEncoder(ImageEncoderArchitecture value) =>
        new($"Unknown image encoder architecture {(int)value}; this version knows {string.Join(", ", Enum.GetNames<ImageEncoderArchitecture>())}.");

    private static InvalidDataException UnknownTextEncoder(TextEncoderArchitecture value) =>
        new($"Unknown text encoder architecture {(int)value}; this version knows {string.Join(", ", Enum.GetNames<TextEncoderArchitecture>())}.");
}
