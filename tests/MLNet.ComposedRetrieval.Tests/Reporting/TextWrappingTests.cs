using MLNet.ComposedRetrieval.Reporting;

namespace MLNet.ComposedRetrieval.Tests.Reporting;

public class TextWrappingTests
{
    // Every character 10 units wide, so a 100-unit line holds 10 characters.
    private static float Measure(string text) => text.Length * 10f;

    [Fact]
    public void BreaksBetweenWordsWhereTheyFit() =>
        Assert.Equal(["replace", "black with", "pink"], TextWrapping.Wrap("replace black with pink", 100, Measure));

    [Fact]
    public void BreaksAWordWiderThanALine() =>
        Assert.Equal(["is", "abcdefghij", "klmnop red", "abcdefghij"], TextWrapping.Wrap("is abcdefghijklmnop red abcdefghij", 100, Measure));

    [Fact]
    public void CollapsesWhiteSpaceAndLineBreaks() =>
        Assert.Equal(["a b c"], TextWrapping.Wrap("  a \n\t b\r\nc  ", 100, Measure));

    [Fact]
    public void CutsAtMaxLinesWithAnEllipsis()
    {
        var lines = TextWrapping.Wrap("one two three four five six seven", 100, Measure, maxLines: 2);

        Assert.Equal(["one two", "three…"], lines);
        Assert.All(lines, line => Assert.True(Measure(line) <= 100));
    }

    [Fact]
    public void EmptyTextHasNoLines() => Assert.Empty(TextWrapping.Wrap(" ", 100, Measure));
}
