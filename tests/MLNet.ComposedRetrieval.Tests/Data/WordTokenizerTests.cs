using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Modeling;

namespace MLNet.ComposedRetrieval.Tests.Data;

public class WordTokenizerTests
{
    private static readonly string[] Corpus = ["Red dress, red shoes", "a blue dress", "RED hat"];

    [Fact]
    public void VocabularyStartsWithPadAndUnkThenFollowsFrequencyThenOrdinalOrder()
    {
        var tokenizer = WordTokenizer.Build(Corpus);
        Assert.Equal(["[PAD]", "[UNK]", "red", "dress", "a", "blue", "hat", "shoes"], tokenizer.Vocabulary);
        Assert.Equal(0, tokenizer.PaddingId);
        Assert.Equal(1, tokenizer.UnknownId);
        Assert.Equal(8, tokenizer.VocabularySize);
    }

    [Fact]
    public void TheSameSentencesInAnotherOrderGiveTheSameIds()
    {
        var forward = WordTokenizer.Build(Corpus);
        var backward = WordTokenizer.Build(Corpus.Reverse());
        Assert.Equal(forward.Vocabulary, backward.Vocabulary);
        Assert.Equal(forward.Encode("a red hat", 10), backward.Encode("a red hat", 10));
    }

    [Fact]
    public void LowerCasesDropsPunctuationAndMapsUnknownWordsToUnk()
    {
        var tokenizer = WordTokenizer.Build(Corpus);
        Assert.Equal([2, 1, 3], tokenizer.Encode("RED, green... Dress!", 10));
        Assert.Empty(tokenizer.Encode("  ?! ", 10));
    }

    [Fact]
    public void TruncatesToMaxLength()
    {
        var tokenizer = WordTokenizer.Build(Corpus);
        Assert.Equal([4, 5], tokenizer.Encode("a blue dress with red shoes", 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Encode("a", 0));
    }

    [Fact]
    public void MinimumCountAndMaximumSizeLimitTheVocabulary()
    {
        Assert.Equal(["[PAD]", "[UNK]", "red", "dress"], WordTokenizer.Build(Corpus, minimumCount: 2).Vocabulary);
        Assert.Equal(["[PAD]", "[UNK]", "red"], WordTokenizer.Build(Corpus, maximumVocabularySize: 3).Vocabulary);
    }

    [Fact]
    public void RoundTripsThroughItsVocabularyAndValidatesIt()
    {
        var tokenizer = WordTokenizer.Build(Corpus);
        var restored = new WordTokenizer(tokenizer.Vocabulary);
        Assert.Equal(tokenizer.Encode("blue shoes and a hat", 10), restored.Encode("blue shoes and a hat", 10));
        Assert.Throws<ArgumentException>(() => new WordTokenizer(["red", "[PAD]", "[UNK]"]));
        var repeated = Assert.Throws<ArgumentException>(() => new WordTokenizer(["[PAD]", "[UNK]", "red", "red"]));
        Assert.Contains("'red'", repeated.Message);
    }
}
