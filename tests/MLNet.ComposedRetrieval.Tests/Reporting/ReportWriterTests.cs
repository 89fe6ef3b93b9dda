using MLNet.ComposedRetrieval.Reporting;
using MLNet.ComposedRetrieval.Tests.Data;

namespace MLNet.ComposedRetrieval.Tests.Reporting;

public class ReportWriterTests
{
    [Fact]
    public void WritesJsonMarkdownAndChartsIntoOneFolder()
    {
        using var folder = new TemporaryFolder();
        var target = Path.Combine(folder.FullPath, "results");
        var report = ReportFixtures.Example();
        report.Set("machine", MachineDescription.Current());

        var written = ReportWriter.WriteAll(report, target);

        Assert.Equal(["results.json", "results.md", "loss.png", "val-recall.png", "uncertainty.png"], written.Select(Path.GetFileName));
        Assert.All(written, path => Assert.True(new FileInfo(path).Length > 100, path));
        Assert.Empty(Directory.GetFiles(target, "*.tmp"));
        Assert.Equal(report.Runs.Count, ExperimentReportJson.Load(written[0]).Runs.Count);
        Assert.Contains("| Uncertainty (ours) | 2 |", File.ReadAllText(written[1]));
    }

    [Fact]
    public void DescribesTheMachine()
    {
        var description = MachineDescription.Current("CPU");

        Assert.Contains($"{Environment.ProcessorCount} logical cores", description);
        Assert.Contains(".NET", description);
        Assert.EndsWith(", CPU", description);
    }
}
