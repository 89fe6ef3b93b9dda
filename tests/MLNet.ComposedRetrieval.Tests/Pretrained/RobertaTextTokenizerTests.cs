using MLNet.ComposedRetrieval.Pretrained;

namespace MLNet.ComposedRetrieval.Tests.Pretrained;

/// <summary>Byte-level BPE over a hand-made vocabulary (Fixtures/roberta-bpe): ids worked out by hand from its
/// merges, in the order GPT-2/RoBERTa apply them.</summary>
public class RobertaTextTokenizerTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Fixtures", "roberta-bpe");

    private static RobertaTextTokenizer Load() =>
        RobertaTextTokenizer.FromFiles(Path.Combine(Folder, "vocab.json"), Path.Combine(Folder, "merges.txt"));

    [Theory]
    [InlineData("hello world", new[] { 0, 16, 21, 2 })]      // hello | Ġworld: the space joins the next word
    [InlineData("hello, world", new[] { 0, 16, 12, 21, 2 })]  // punctuation is its own pre-token
    [InlineData("held", new[] { 0, 13, 20, 2 })]             // he + ld: "he ll" cannot apply, "l d" can
    [InlineData("hello  world", new[] { 0, 16, 8, 21, 2 })]   // the first of two spaces stands alone
    [InlineData("Hé", new[] { 0, 22, 25, 2 })]              // é is bytes C3 A9, shown as Ã©, merged
    [InlineData("", new[] { 0, 2 })]
    public void EncodesWithinSAndEndOfSentence(string text, int[] expected) =>
        Assert.Equal(expected, Load().Encode(text, 16));

    [Fact]
    public void SpecialIdsComeFromTheVocabulary()
    {
        var tokenizer = Load();
        Assert.Equal((0, 2, 1), (tokenizer.BeginningId, tokenizer.EndId, tokenizer.PaddingId));
    }

    [Fact]
    public void TruncationKeepsTheEndToken() =>
        Assert.Equal([0, 16, 21, 2], Load().Encode("hello world hello world", 4));

    [Fact]
    public void AVocabularyWithoutPaddingIsRejectedByName()
    {
        var vocabulary = Path.Combine(Path.GetTempPath(), $"roberta-no-pad-{Guid.NewGuid():N}.json");
        File.WriteAllText(vocabulary, """{"<s>": 0, "</s>": 2, "h": 4}""");
        try
        {
            var error = Assert.Throws<InvalidDataException>(() =>
                RobertaTextTokenizer.FromFiles(vocabulary, Path.Combine(Folder, "merges.txt")));
            Assert.Contains("'<pad>'", error.Message);
            Assert.Contains(vocabulary, error.Message);
        }
        finally
        {
            File.Delete(vocabulary);
        }
    }
}
