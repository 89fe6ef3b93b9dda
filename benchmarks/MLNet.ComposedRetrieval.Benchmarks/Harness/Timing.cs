using System.Diagnostics;

namespace MLNet.ComposedRetrieval.Benchmarks.Harness;

/// <summary>Wall-clock times of repeated runs of one operation, in seconds.</summary>
internal sealed class Timing
{
    private readonly double[] _sorted;

    private Timing(IEnumerable<double> seconds) => _sorted = seconds.Order().ToArray();

    /// <summary>The fastest run: on a machine shared with other jobs, the best estimate of the uncontended time.</summary>
    public double Min => _sorted[0];

    public double Median => Percentile(50);

    public double P95 => Percentile(95);

    public int Count => _sorted.Length;

    /// <summary>Nearest-rank percentile.</summary>
    public double Percentile(double p) => _sorted[Math.Clamp((int)Math.Ceiling(p / 100 * _sorted.Length) - 1, 0, _sorted.Length - 1)];

    /// <summary>Runs <paramref name="action"/> <paramref name="warmup"/> times untimed, then <paramref name="repeats"/> times timed.</summary>
    public static Timing Of(Action action, int warmup, int repeats)
    {
        for (var i = 0; i < warmup; i++) action();
        return new Timing(Enumerable.Range(0, repeats).Select(_ => Seconds(action)).ToArray());
    }

    /// <summary>
    /// Times several operations round-robin (a, b, c, a, b, c, ...), so a burst of load from other jobs on the
    /// machine hits them alike and their ratios stay meaningful.
    /// </summary>
    public static Timing[] Interleaved(int warmup, int repeats, params Action[] actions)
    {
        foreach (var action in actions)
            for (var i = 0; i < warmup; i++) action();
        var times = actions.Select(_ => new List<double>()).ToArray();
        for (var r = 0; r < repeats; r++)
            for (var a = 0; a < actions.Length; a++) times[a].Add(Seconds(actions[a]));
        return times.Select(t => new Timing(t)).ToArray();
    }

    public static Timing FromSamples(IEnumerable<double> seconds) => new(seconds);

    private static double Seconds(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }
}
