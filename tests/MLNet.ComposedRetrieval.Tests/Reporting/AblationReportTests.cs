using MLNet.ComposedRetrieval.Experiment;
using MLNet.ComposedRetrieval.Reporting;
using MLNet.ComposedRetrieval.Tests.Data;
using MLNet.ComposedRetrieval.Tests.Package;

namespace MLNet.ComposedRetrieval.Tests.Reporting;

public class AblationReportTests
{
    private const string Study = """
        # family, setting, method, folder, default
        gamma0	0.5	uncertainty	gamma0-0.5
        gamma0	1	uncertainty	main	default
        gamma0	2	uncertainty	gamma0-2
        gamma0	∞ = baseline	baseline	main
        linears	equalised	baseline	main	default
        linears	plain	baseline	plain
        """;

    [Fact]
    public void ParsesSettingsInOrderAndRefusesAFamilyWithoutOneDefault()
    {
        var study = AblationStudy.Parse(Study.Split('\n'), "test");

        Assert.Equal(6, study.Settings.Count);
        Assert.Equal(["gamma0", "linears"], study.Families);
        Assert.Equal(new AblationSetting("gamma0", "1", "uncertainty", "main", IsDefault: true), study.Settings[1]);
        var noDefault = Assert.Throws<InvalidDataException>(() => AblationStudy.Parse(["a\t1\tbaseline\tx", "a\t2\tbaseline\ty"], "f"));
        Assert.Contains("family 'a' has 0 settings marked 'default'", noDefault.Message);
        var bad = Assert.Throws<InvalidDataException>(() => AblationStudy.Parse(["a\t1\tbaseline"], "f"));
        Assert.Contains("line 1", bad.Message);
    }

    [Fact]
    public void ComparesEachSettingWithItsDefaultAgainstTheSeedSpreadAndPairsSeeds()
    {
        using var runs = new TemporaryFolder();
        // Default uncertainty: R@10 27.2 / 27.0 (spread 0.2); gamma0 0.5: 29.0 / 29.4 (well beyond); baseline 30.1 / 30.9.
        Write(runs, "main", Run("uncertainty", 1, 27.2, 62.1), Run("uncertainty", 2, 27.0, 61.5), Run("baseline", 1, 30.1, 63.0), Run("baseline", 2, 30.9, 63.8));
        Write(runs, "gamma0-0.5", Run("uncertainty", 1, 29.0, 61.9), Run("uncertainty", 2, 29.4, 61.4));
        Write(runs, "plain", Run("baseline", 1, 30.5, 63.1));
        var results = Load(runs);

        var markdown = AblationReport.Markdown(results);

        var lines = markdown.Split('\n');
        string Row(string start) => Assert.Single(lines, l => l.StartsWith(start, StringComparison.Ordinal));
        var half = Row("| 0.5 |");
        Assert.Contains("| +2.10 / -0.15 |", half);
        Assert.Contains("seed 1: +1.80 / -0.20; seed 2: +2.40 / -0.10", half);
        Assert.Contains("R@10: yes, higher; R@50: no, within 0.60", half);
        Assert.Contains($"| 2 | {MethodNames.Uncertainty} | 0 | not run yet |", markdown);
        Assert.Contains($"| 1 (default) | {MethodNames.Uncertainty} | 2 |", markdown);
        Assert.Contains("R@10: yes, higher", Row("| ∞ = baseline |"));
        Assert.Contains("needs 2 seeds each", Row("| plain |"));
        Assert.Contains("### linears", markdown);
    }

    [Fact]
    public void ChartsEachFamilyWithAPanelPerKAndTheMethodsColours()
    {
        using var runs = new TemporaryFolder();
        Write(runs, "main", Run("uncertainty", 1, 27.2, 62.1), Run("uncertainty", 2, 27.0, 61.5), Run("baseline", 1, 30.1, 63.0), Run("baseline", 2, 30.9, 63.8));
        var results = Load(runs);

        var figure = AblationReport.Chart(results, "gamma0")!;
        Assert.Equal(["Recall@10", "Recall@50"], figure.Panels.Select(p => p.Title));
        Assert.Equal(["0.5", "1 (default)", "2", "∞ = baseline"], figure.Panels[0].XCategories!);
        var uncertainty = Assert.Single(figure.Panels[0].Series, s => s.Label == MethodNames.Uncertainty);
        Assert.Equal([1.0], uncertainty.X);
        Assert.Equal(27.1, uncertainty.Y[0], 6);
        Assert.Equal((27.0, 27.2), uncertainty.Band![0]);
        Assert.Equal([3.0], Assert.Single(figure.Panels[1].Series, s => s.Label == MethodNames.Baseline).X);

        var code = CommandLine.Run(["ablations", "--study", WriteStudy(runs), "--runs", runs.FullPath, "--output", Path.Combine(runs.FullPath, "out")],
            TextWriter.Null, TextWriter.Null);
        Assert.Equal(0, code);
        Assert.Equal("ablation-gamma0.png", AblationReport.ChartFileName("gamma0"));
        using var bitmap = PngPixels.Decode(Path.Combine(runs.FullPath, "out", "ablation-gamma0.png"));
        Assert.Equal(32 + 2 * 420 + 20, bitmap.Width);
        foreach (var method in new[] { MethodNames.Baseline, MethodNames.Uncertainty })
            Assert.True(PngPixels.Count(bitmap, c => PngPixels.Near(c, MethodColors.For(method, [MethodNames.Uncertainty, MethodNames.Baseline]), 20)) > 30, method);
        Assert.True(File.Exists(Path.Combine(runs.FullPath, "out", "ablations.md")));
        Assert.True(File.Exists(Path.Combine(runs.FullPath, "out", "ablation-linears.png")));
    }

    /// <summary>
    /// The study's finished runs are kept in the repository (docs/ablations/runs) so that a clone rewrites the README's
    /// tables: the README's command, run on them, gives the committed ablations.md to the byte.
    /// </summary>
    [Fact]
    public void TheKeptRunsRewriteTheCommittedTables()
    {
        var kept = RepositoryFiles.PathOf("docs/ablations/runs");
        Assert.True(Directory.Exists(Path.Combine(kept, "main-default")), $"{kept} lacks the default's runs (is it ignored by git?)");
        using var output = new TemporaryFolder();

        var code = CommandLine.Run(["ablations", "--study", RepositoryFiles.PathOf("samples/ComposedRetrievalExperiment/ablations.tsv"),
                                    "--runs", kept, "--output", output.FullPath], TextWriter.Null, TextWriter.Null);

        Assert.Equal(0, code);
        Assert.Equal(File.ReadAllText(RepositoryFiles.PathOf("docs/ablations/ablations.md")),
                     File.ReadAllText(Path.Combine(output.FullPath, "ablations.md")));
    }

    private static string WriteStudy(TemporaryFolder folder)
    {
        var path = Path.Combine(folder.FullPath, "study.tsv");
        File.WriteAllText(path, Study);
        return path;
    }

    /// <summary>The study as the ablations command reads it: methods named as on the command line, matched to the
    /// reports' display names.</summary>
    private static IReadOnlyList<AblationResult> Load(TemporaryFolder runs) =>
        AblationStudy.Parse(Study.Split('\n'), "test").WithMethodNames(ExperimentReports.DisplayName).LoadResults(runs.FullPath);

    private static MethodRun Run(string method, int seed, double r10, double r50) =>
        ReportFixtures.Trained(ExperimentReports.DisplayName(method), seed, epochs: 2, r10, r50, uncertainty: method != "baseline");

    private static void Write(TemporaryFolder root, string folder, params MethodRun[] runs)
    {
        var report = new ExperimentReport();
        report.Runs.AddRange(runs);
        ReportWriter.WriteAll(report, Path.Combine(root.FullPath, folder), charts: false);
    }
}
