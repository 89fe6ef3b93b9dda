using System.Text.Json;

namespace MLNet.ComposedRetrieval.Tests.Training;

/// <summary>One case of Fixtures/golden/uncertainty_loss.json (float64 values from an independent implementation).</summary>
internal sealed record UncertaintyLossGolden(
    int Index, int Epoch, int TotalEpochs, double Gamma0, double W1, double W2, double Gamma,
    double[,] Query, double[,] Target, double[,] NoiseAlpha, double[,] NoiseBeta, double[,] AugmentedTarget,
    double SigmaScalar, double LossInfo, double LossUncertainty, double LossTotal, double[,] GradQuery, double[,] GradTarget)
{
    public static string FilePath => Path.Combine(AppContext.BaseDirectory, "Fixtures", "golden", "uncertainty_loss.json");

    public static IReadOnlyList<UncertaintyLossGolden> All { get; } = Load();

    private static List<UncertaintyLossGolden> Load()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(FilePath));
        return document.RootElement.GetProperty("cases").EnumerateArray().Select((c, i) => new UncertaintyLossGolden(
            i, c.GetProperty("epoch").GetInt32(), c.GetProperty("total_epochs").GetInt32(), c.GetProperty("gamma0").GetDouble(),
            c.GetProperty("w1").GetDouble(), c.GetProperty("w2").GetDouble(), c.GetProperty("gamma").GetDouble(),
            Matrix(c, "query"), Matrix(c, "target"), Matrix(c, "noise_alpha"), Matrix(c, "noise_beta"), Matrix(c, "augmented_target"),
            c.GetProperty("sigma_scalar").GetDouble(), c.GetProperty("loss_info").GetDouble(),
            c.GetProperty("loss_uncertainty").GetDouble(), c.GetProperty("loss_total").GetDouble(),
            Matrix(c, "grad_query"), Matrix(c, "grad_target"))).ToList();
    }

    private static double[,] Matrix(JsonElement element, string name)
    {
        var rows = element.GetProperty(name).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        var matrix = new double[rows.Length, rows[0].Length];
        for (var i = 0; i < rows.Length; i++)
            for (var j = 0; j < rows[i].Length; j++) matrix[i, j] = rows[i][j];
        return matrix;
    }
}
