using MLNet.ComposedRetrieval.Experiment;
using MLNet.ComposedRetrieval.Tests.Data;

namespace MLNet.ComposedRetrieval.Tests.Experiment;

/// <summary>
/// The experiment's command line as a user meets it: every failure is one line on the error stream and exit code 1,
/// found before the model is loaded or the gallery embedded. The model file here is not a model: a command that got as
/// far as loading it would fail differently.
/// </summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly TemporaryFolder _folder = new();
    private readonly string _model, _gallery, _cache;

    public CommandLineTests()
    {
        _model = _folder.WriteFile("baseline-seed1.mlcr", "never loaded");
        _gallery = Directory.CreateDirectory(Path.Combine(_folder.FullPath, "gallery")).FullName;
        foreach (var id in new[] { "1", "2", "3" })
            File.WriteAllBytes(Path.Combine(_gallery, id + ".png"), ImageDecodingTests.TranslucentPng(4, 4));
        _cache = Path.Combine(_folder.FullPath, "cache");
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void AMalformedQueryFileIsOneLineNamingTheFileAndLineWithExitCode1()
    {
        var queries = _folder.WriteFile("queries.tsv", "reference_image\tmodification_text\ttarget_images\n1.png\tmake it red\n");

        var (code, output, error) = Run("evaluate", "--queries", queries);

        Assert.Equal(1, code);
        var line = Assert.Single(Lines(error));
        Assert.Contains($"{queries}, line 2", line);
        Assert.DoesNotContain("Gallery embeddings", output);
    }

    [Fact]
    public void AQueryFileWithoutQueriesFailsBeforeTheModelIsLoadedOrTheGalleryEmbedded()
    {
        var queries = _folder.WriteFile("header-only.tsv", "reference_image\tmodification_text\ttarget_images\n");

        var (code, output, error) = Run("evaluate", "--queries", queries);

        Assert.Equal(1, code);
        Assert.Contains("holds no queries", Assert.Single(Lines(error)));
        Assert.DoesNotContain("Loading " + _model, output);
        Assert.False(Directory.Exists(_cache), "nothing was embedded, so nothing was cached");
    }

    [Fact]
    public void AMissingImageNamesTheFlagThatDropsIt()
    {
        var queries = _folder.WriteFile("queries.tsv", "reference_image\tmodification_text\ttarget_images\nabsent.png\tmake it red\t2.png\n");

        var (code, _, error) = Run("evaluate", "--queries", queries);

        Assert.Equal(1, code);
        var line = Assert.Single(Lines(error));
        Assert.Contains("absent", line);
        Assert.Contains("--drop-missing-images", line);
        Assert.DoesNotContain("MissingImagePolicy", line);
    }

    [Fact]
    public void AMissingModelIsNamedBeforeAnythingElse()
    {
        var absent = Path.Combine(_folder.FullPath, "absent.mlcr");

        var (code, _, error) = Run("query", "--model", absent, "--image", Path.Combine(_gallery, "1.png"), "--text", "make it red");

        Assert.Equal(1, code);
        Assert.Equal($"Model file '{absent}' does not exist (--model).", Assert.Single(Lines(error)));
    }

    [Fact]
    public void ASplitListingNoneOfTheGalleryFailsEarly()
    {
        var split = _folder.WriteFile("split.tsv", "image_id\n7\n8\n");
        var queries = _folder.WriteFile("queries.tsv", "reference_image\tmodification_text\ttarget_images\n1.png\tmake it red\t2.png\n");

        var (code, _, error) = Run("evaluate", "--queries", queries, "--split", split);

        Assert.Equal(1, code);
        Assert.Contains("lists none of the 3 images", Assert.Single(Lines(error)));
    }

    [Fact]
    public void BadOptionsAreOneLineWithExitCode2()
    {
        var error = new StringWriter();
        Assert.Equal(2, CommandLine.Run(["evaluate", "--epochs", "many"], TextWriter.Null, error));
        Assert.Contains("--epochs expects a whole number, got 'many'", Assert.Single(Lines(error.ToString())));
    }

    [Fact]
    public void UnexpectedErrorsAreOneLineWithTheirType()
    {
        Assert.Equal("Unexpected NullReferenceException: first (set MLNET_CR_STACK_TRACE=1 for the stack trace)",
            CommandLine.Describe(new NullReferenceException("first\n  second")));
        Assert.Equal("a file is bad here", CommandLine.Describe(new InvalidDataException("a file\nis bad\r\nhere")));
    }

    private (int Code, string Output, string Error) Run(string command, params string[] args)
    {
        string[] common = command == "evaluate"
            ? ["--model", _model, "--gallery", _gallery, "--output", Path.Combine(_folder.FullPath, "out"), "--cache", _cache]
            : ["--gallery", _gallery, "--cache", _cache];
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = CommandLine.Run([command, .. common, .. args], output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
