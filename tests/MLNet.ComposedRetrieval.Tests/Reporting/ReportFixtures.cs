using MLNet.ComposedRetrieval.Reporting;
using MLNet.ComposedRetrieval.Training;

namespace MLNet.ComposedRetrieval.Tests.Reporting;

/// <summary>A plausible fake experiment: two methods with two seeds of 8 epochs each, and a zero-shot line.</summary>
internal static class ReportFixtures
{
    public static ExperimentReport Example(int epochs = 8)
    {
        var report = new ExperimentReport { Title = "Fake experiment", EvaluatedOn = "queries.val.tsv" };
        report.Set("data", "fashion-product-images").Set("epochs", epochs).Set("lr", 0.02).Set("seeds", new[] { 1, 2 })
              .Set("machine", "2 cores | test");
        report.Runs.Add(Trained(MethodNames.Baseline, seed: 1, epochs, r10: 30.1, r50: 63.0, uncertainty: false));
        report.Runs.Add(Trained(MethodNames.Baseline, seed: 2, epochs, r10: 30.9, r50: 63.8, uncertainty: false));
        report.Runs.Add(Trained(MethodNames.Uncertainty, seed: 1, epochs, r10: 27.2, r50: 62.1, uncertainty: true));
        report.Runs.Add(Trained(MethodNames.Uncertainty, seed: 2, epochs, r10: 27.0, r50: 61.5, uncertainty: true));
        report.Runs.Add(new MethodRun(MethodNames.ZeroShot, null, Recalls(2.5, 11.25, 30.0), 1958, 4433));
        return report;
    }

    public static Dictionary<int, double> Recalls(double r1, double r10, double r50) => new() { [1] = r1, [10] = r10, [50] = r50 };

    public static MethodRun Trained(string method, int seed, int epochs, double r10, double r50, bool uncertainty)
    {
        var history = new List<EpochRecord>();
        for (int e = 0; e < epochs; e++)
        {
            double progress = (e + 1.0) / epochs, wiggle = 0.3 * Math.Sin(seed * 3 + e);
            double info = 3.2 * Math.Exp(-1.5 * progress) + 0.4 + 0.02 * seed + (uncertainty ? 0.15 : 0);
            double gamma = Math.Exp(-(double)e / epochs);
            double? lu = uncertainty ? 0.357 * (info + 0.8) + 0.515 : null;
            double loss = uncertainty ? gamma * lu!.Value + (1 - gamma) * info : info;
            history.Add(new EpochRecord(e, 280, loss, info, lu, uncertainty ? 1.0305 + 0.0001 * e : null,
                uncertainty ? gamma : 0, 0.02 * Math.Min(1, (e + 1) / 5.0),
                new Dictionary<int, double> { [1] = (10 * progress + wiggle) / 100, [10] = (r10 * (0.6 + 0.4 * progress) + wiggle) / 100, [50] = (r50 * (0.7 + 0.3 * progress) + wiggle) / 100 },
                TimeSpan.FromSeconds(95 + seed)));
        }
        return new MethodRun(method, seed, Recalls(r10 / 3, r10, r50), 1958, 4433)
        {
            History = history,
            BestEpoch = epochs - 1 - seed % 2,
            TrainTime = TimeSpan.FromMinutes(12.5 + seed),
        };
    }
}
