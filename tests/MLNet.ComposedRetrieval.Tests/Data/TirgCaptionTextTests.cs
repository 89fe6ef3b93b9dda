using MLNet.ComposedRetrieval.Data;

namespace MLNet.ComposedRetrieval.Tests.Data;

public class TirgCaptionTextTests
{
    [Theory]
    [InlineData("black maxi dress", "red maxi dress", "replace black with red")]
    [InlineData("black maxi dress", "black midi dress", "replace maxi with midi")]
    [InlineData("blue  denim jacket", "blue denim coat", "replace jacket with coat")]
    [InlineData("red maxi dress", "dress maxi red", "replace dress with red")]   // same words: both sides fall through to their last word
    public void ModificationTextFollowsTirg(string source, string target, string expected) =>
        Assert.Equal(expected, TirgCaptionText.ModificationText(source, target));

    [Fact]
    public void PostProcessSpellsOutPunctuation() =>
        Assert.Equal("3dotmark1 phillip lim andmark co questionmark starmark", TirgCaptionText.PostProcess(" 3.1 phillip lim & co ? *\n"));

    [Fact]
    public void CaptionsWithoutWordsAreRejected() =>
        Assert.Throws<ArgumentException>(() => TirgCaptionText.ModificationText("  ", "red dress"));
}
