using System.Text.Json;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Modeling;

/// <summary>Reads golden JSON files (nested number arrays) into float64 tensors and compares tensors with a stated tolerance.</summary>
internal static class GoldenTensors
{
    public static JsonDocument Load(string fixtureRelativePath)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", fixtureRelativePath);
        return JsonDocument.Parse(File.ReadAllBytes(path));
    }

    /// <summary>A nested JSON array of numbers as a float64 tensor of the same shape.</summary>
    public static Tensor ToTensor(JsonElement element)
    {
        var shape = new List<long>();
        for (var e = element; e.ValueKind == JsonValueKind.Array; e = e[0])
            shape.Add(e.GetArrayLength());
        var values = new List<double>();
        Flatten(element, values);
        return tensor(values.ToArray(), dtype: ScalarType.Float64).reshape(shape.ToArray());
    }

    private static void Flatten(JsonElement element, List<double> values)
    {
        if (element.ValueKind == JsonValueKind.Array)
            foreach (var item in element.EnumerateArray()) Flatten(item, values);
        else
            values.Add(element.GetDouble());
    }

    /// <summary>
    /// Asserts |actual − expected| ≤ relative · (|expected| + floor · max|expected|) elementwise: relative to each
    /// element, with a floor tied to the tensor's own scale so that entries which cancel to near zero are
    /// judged against the magnitudes they were computed from. Returns the largest scaled error seen.
    /// </summary>
    public static double AssertClose(Tensor expected, Tensor actual, string what, double relative = 1e-9, double floor = 1e-3)
    {
        Assert.Equal(expected.shape, actual.shape);
        var e = expected.to_type(ScalarType.Float64).data<double>().ToArray();
        var a = actual.to_type(ScalarType.Float64).data<double>().ToArray();
        var scale = e.Max(Math.Abs);
        var worst = 0.0;
        for (var i = 0; i < e.Length; i++)
        {
            var allowed = relative * (Math.Abs(e[i]) + floor * scale);
            var error = Math.Abs(a[i] - e[i]);
            worst = Math.Max(worst, error / (Math.Abs(e[i]) + floor * scale));
            Assert.True(error <= allowed,
                $"{what}[{i}]: expected {e[i]:R}, got {a[i]:R} (|diff| {error:E3} > allowed {allowed:E3}).");
        }
        return worst;
    }
}
