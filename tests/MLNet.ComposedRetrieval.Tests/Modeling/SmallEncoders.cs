using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Modeling;

namespace MLNet.ComposedRetrieval.Tests.Modeling;

/// <summary>Small encoders and sentences shared by the modeling tests.</summary>
internal static class SmallEncoders
{
    public static readonly string[] Sentences =
    [
        "is red and shorter",
        "make it blue with long sleeves",
        "same dress but in green",
        "has a floral print, not plain",
    ];

    public static WordTokenizer Tokenizer() => WordTokenizer.Build(Sentences);

    public static SmallTextEncoder TextEncoder() => new(Tokenizer(), dimension: 32, layers: 1, heads: 4, maxLength: 16);
}
