using MLNet.ComposedRetrieval.Reporting;

namespace MLNet.ComposedRetrieval.Tests.Reporting;

public class MethodSummaryTests
{
    [Fact]
    public void AggregatesEachMethodOverItsSeedsInOrderOfAppearance()
    {
        var summaries = ReportFixtures.Example().Summaries;

        Assert.Equal([MethodNames.Baseline, MethodNames.Uncertainty, MethodNames.ZeroShot], summaries.Select(s => s.Method));
        var baseline = summaries[0];
        Assert.Equal(2, baseline.RunCount);
        Assert.Equal([1, 2], baseline.Seeds);
        Assert.Equal([1, 10, 50], baseline.Recall.Select(r => r.K));
        var r10 = baseline.RecallAt(10)!;
        Assert.Equal(30.5, r10.Mean, 1e-12);
        Assert.Equal(Math.Sqrt(0.32), r10.StandardDeviation, 1e-12); // sample std of 30.1 and 30.9
        Assert.Equal(0.8, r10.Spread, 1e-12);
        Assert.Equal([6, 7], baseline.BestEpochs);
        Assert.Equal(TimeSpan.FromMinutes(14), baseline.MeanTrainTime);

        var zeroShot = summaries[2];
        Assert.Equal((1, 0.0, 0.0), (zeroShot.RunCount, zeroShot.RecallAt(10)!.StandardDeviation, zeroShot.RecallAt(10)!.Spread));
        Assert.Empty(zeroShot.Seeds);
        Assert.Null(zeroShot.MeanTrainTime);
    }

    [Fact]
    public void SummarisesOnlyTheKsEveryRunHas()
    {
        MethodRun[] runs =
        [
            new("m", 1, new Dictionary<int, double> { [1] = 1, [10] = 10 }, 5, 9),
            new("m", 2, new Dictionary<int, double> { [10] = 20, [50] = 50 }, 5, 9),
        ];

        var summary = Assert.Single(MethodSummary.Summarise(runs));

        Assert.Equal(10, Assert.Single(summary.Recall).K);
        Assert.Null(summary.RecallAt(1));
    }
}

public class MethodComparisonTests
{
    [Fact]
    public void BeatsOnlyByMoreThanTheLargerSeedSpread()
    {
        var report = ReportFixtures.Example();

        var ours = MethodComparison.Compare(report, MethodNames.Uncertainty, MethodNames.Baseline, ks: [10, 50]);
        var reverse = MethodComparison.Compare(report, MethodNames.Baseline, MethodNames.Uncertainty, ks: [10, 50]);

        // Means: baseline R@10 30.5 (spread 0.8), ours 27.1 (0.2); R@50 63.4 (0.8) and 61.8 (0.6).
        Assert.Equal([-3.4, -1.6], ours.Select(c => Math.Round(c.Difference, 10)));
        Assert.Equal([0.8, 0.8], ours.Select(c => Math.Round(c.LargerSpread, 10)));
        Assert.All(ours, c => Assert.False(c.Beats));
        Assert.All(reverse, c => Assert.True(c.Beats));
        Assert.Empty(MethodComparison.Compare(report, "absent", MethodNames.Baseline));
    }

    [Fact]
    public void ADifferenceWithinTheSpreadDoesNotCount()
    {
        var report = new ExperimentReport();
        report.Runs.Add(new MethodRun("a", 1, ReportFixtures.Recalls(1, 30, 60), 10, 10));
        report.Runs.Add(new MethodRun("a", 2, ReportFixtures.Recalls(1, 32, 60), 10, 10));
        report.Runs.Add(new MethodRun("b", 1, ReportFixtures.Recalls(1, 30, 60), 10, 10));

        var comparison = MethodComparison.Compare(report, "a", "b", ks: [10]).Single();

        Assert.Equal((1.0, 2.0, false), (comparison.Difference, comparison.LargerSpread, comparison.Beats));
    }

    [Fact]
    public void OneSeedNeverBeatsHoweverLargeTheDifference()
    {
        var report = new ExperimentReport();
        report.Runs.Add(new MethodRun("a", 1, ReportFixtures.Recalls(1, 40, 70), 10, 10));
        report.Runs.Add(new MethodRun("b", 1, ReportFixtures.Recalls(1, 30, 60), 10, 10));

        var comparison = MethodComparison.Compare(report, "a", "b", ks: [10]).Single();

        Assert.Equal((10.0, 0.0, 1), (comparison.Difference, comparison.LargerSpread, comparison.FewerSeeds));
        Assert.False(comparison.EnoughSeeds);
        Assert.False(comparison.Beats);
    }
}
