using MLNet.ComposedRetrieval.Reporting;

namespace MLNet.ComposedRetrieval.Tests.Reporting;

public class MarkdownReportTests
{
    [Fact]
    public void ResultsTableShowsMeanAndStdOverSeedsPerMethod()
    {
        var table = MarkdownReport.ResultsTable(ReportFixtures.Example()).Split('\n');

        Assert.Equal("| Method | Seeds | R@1 | R@10 | R@50 | Spread (max - min) of R@1 / R@10 / R@50 | Best epoch | Train time |", table[0]);
        Assert.Equal("|---|---:|---:|---:|---:|---|---|---:|", table[1]);
        // R@1 = R@10 / 3: 10.03 and 10.30; R@10 30.1 and 30.9 (std 0.566); R@50 63.0 and 63.8.
        Assert.Equal("| InfoNCE baseline | 2 | 10.17 ± 0.19 | 30.50 ± 0.57 | 63.40 ± 0.57 | 0.27 / 0.80 / 0.80 | 7, 8 | 14 min 00 s |", table[2]);
        Assert.Equal("| Uncertainty (ours) | 2 | 9.03 ± 0.05 | 27.10 ± 0.14 | 61.80 ± 0.42 | 0.07 / 0.20 / 0.60 | 7, 8 | 14 min 00 s |", table[3]);
        Assert.Equal("| Zero-shot (reference image) | 1 | 2.50 | 11.25 | 30.00 | - | - | - |", table[4]);
    }

    [Fact]
    public void PairedTableSubtractsTheBaselineOfTheSameSeed()
    {
        var report = ReportFixtures.Example();
        var table = MarkdownReport.PairedTable(report).Split('\n');

        Assert.Equal("| Method | Seed | R@1 | R@10 | R@50 |", table[0]);
        var uncertainty = report.Runs.Where(r => r.Method == MethodNames.Uncertainty).ToList();
        Assert.Equal(2, uncertainty.Count);
        foreach (var (run, line) in uncertainty.Zip(table.Skip(2)))
        {
            var baseline = report.Runs.Single(r => r.Method == MethodNames.Baseline && r.Seed == run.Seed);
            var difference = run.RecallAt(10)!.Value - baseline.RecallAt(10)!.Value;
            Assert.StartsWith($"| {MethodNames.Uncertainty} | {run.Seed} |", line);
            Assert.Contains($" {(difference >= 0 ? "+" : "")}{ReportFormat.Recall(difference)} |", line);
        }
        Assert.Contains("Paired by seed", MarkdownReport.Write(report));
        Assert.Equal("", MarkdownReport.PairedTable(new ExperimentReport { Title = "no baseline" }));
    }

    [Fact]
    public void WholeReportHasCaptionRunsAndSettingsInOrder()
    {
        var report = ReportFixtures.Example();
        report.Set("note", "a|b\nc");

        var text = MarkdownReport.Write(report);

        Assert.StartsWith("# Fake experiment\n", text.ReplaceLineEndings("\n"));
        Assert.Contains("Recall@K in percent on queries.val.tsv (1958 queries, gallery of 4433 images)", text);
        Assert.Contains("| InfoNCE baseline | 1 | 10.03 | 30.10 | 63.00 | 7 of 8 | 13 min 30 s | 1958 | 4433 |", text);
        Assert.Contains("| Zero-shot (reference image) | - | 2.50 | 11.25 | 30.00 | - | - | 1958 | 4433 |", text);
        int data = text.IndexOf("| data | fashion-product-images |", StringComparison.Ordinal);
        int lr = text.IndexOf("| lr | 0.02 |", StringComparison.Ordinal);
        Assert.True(data > 0 && lr > data, "settings keep their insertion order");
        Assert.Contains("| machine | 2 cores \\| test |", text);
        Assert.Contains("| note | a\\|b c |", text);
        Assert.Contains("| Uncertainty (ours) | 10 | -3.40 | 0.80 | no |", text);
        Assert.DoesNotContain("| Zero-shot (reference image) | 10 |", text);
    }

    [Fact]
    public void ColumnsCanBeChosenAndMissingValuesShowADash()
    {
        var report = new ExperimentReport();
        report.Runs.Add(new MethodRun("only R@10", 3, new Dictionary<int, double> { [10] = 12.345 }, 10, 20));

        var table = MarkdownReport.ResultsTable(report, ks: [10, 50]).Split('\n');

        Assert.Equal("| only R@10 | 1 | 12.35 | - | - | - | - |", table[2].TrimEnd());
    }

    [Theory]
    [InlineData(4.25, "4.3 s")]
    [InlineData(42.4, "42 s")]
    [InlineData(725, "12 min 05 s")]
    [InlineData(3780, "1 h 03 min")]
    public void DurationsReadForPeople(double seconds, string expected) =>
        Assert.Equal(expected, ReportFormat.Duration(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void WithOneSeedTheComparisonClaimsNothing()
    {
        var report = new ExperimentReport { Title = "One seed" };
        report.Runs.Add(new MethodRun(MethodNames.Baseline, 1, ReportFixtures.Recalls(1, 30, 60), 10, 10));
        report.Runs.Add(new MethodRun(MethodNames.Uncertainty, 1, ReportFixtures.Recalls(1, 35, 66), 10, 10));

        var text = MarkdownReport.Write(report);

        Assert.Contains("| Uncertainty (ours) | 10 | +5.00 | 0.00 | undecided (1 seed; needs 2) |", text);
        Assert.DoesNotContain("| yes |", text);
        Assert.Contains("both ran at least 2 seeds", text);
    }
}
