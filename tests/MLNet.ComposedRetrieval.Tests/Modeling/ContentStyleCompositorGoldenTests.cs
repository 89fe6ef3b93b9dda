using System.Text.Json;
using MLNet.ComposedRetrieval.Modeling;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Modeling;

/// <summary>
/// The compositor against <c>golden/compositor.json</c> (docs/method.md: float64 values checked equal to the
/// authors' CoSMo modules). Every parameter is loaded by name; output, grad_x, grad_t and every parameter
/// gradient must match to 1e-9 relative (see <see cref="GoldenTensors.AssertClose"/> for the exact rule).
/// </summary>
public class ContentStyleCompositorGoldenTests(ITestOutputHelper output)
{
    private const string GoldenFile = "golden/compositor.json";

    [Fact]
    public void ForwardAndEveryGradientMatchTheGolden()
    {
        using var scope = NewDisposeScope();
        using var golden = GoldenTensors.Load(GoldenFile);
        var root = golden.RootElement;
        var compositor = new ContentStyleCompositor(
            root.GetProperty("channels").GetInt32(), root.GetProperty("text_dim").GetInt32(), root.GetProperty("heads").GetInt32())
            .to(ScalarType.Float64);
        LoadParametersByName(compositor, root.GetProperty("params"));

        var x = GoldenTensors.ToTensor(root.GetProperty("x")).requires_grad_();
        var t = GoldenTensors.ToTensor(root.GetProperty("t")).requires_grad_();
        var composed = compositor.forward(x, t);
        // The golden gradients are of sum(output * readout), readout = linspace(-1, 1, numel) in row-major order.
        var readout = linspace(-1, 1, composed.numel(), dtype: ScalarType.Float64).reshape(composed.shape);
        composed.mul(readout).sum().backward();

        var worst = new Dictionary<string, double>
        {
            ["output"] = GoldenTensors.AssertClose(GoldenTensors.ToTensor(root.GetProperty("output")), composed.detach(), "output"),
            ["grad_x"] = GoldenTensors.AssertClose(GoldenTensors.ToTensor(root.GetProperty("grad_x")), x.grad!, "grad_x"),
            ["grad_t"] = GoldenTensors.AssertClose(GoldenTensors.ToTensor(root.GetProperty("grad_t")), t.grad!, "grad_t"),
        };
        var goldenGradients = root.GetProperty("grad_params");
        foreach (var (name, parameter) in compositor.named_parameters())
        {
            Assert.NotNull(parameter.grad);
            worst[name] = GoldenTensors.AssertClose(
                GoldenTensors.ToTensor(goldenGradients.GetProperty(name)), parameter.grad!, $"grad {name}");
        }
        Assert.Equal(goldenGradients.EnumerateObject().Count(), compositor.named_parameters().Count());
        foreach (var (name, error) in worst) output.WriteLine($"{name}: worst scaled error {error:E2}");
    }

    [Fact]
    public void ParameterNamesAreExactlyTheGoldenNames()
    {
        using var golden = GoldenTensors.Load(GoldenFile);
        var root = golden.RootElement;
        using var compositor = new ContentStyleCompositor(
            root.GetProperty("channels").GetInt32(), root.GetProperty("text_dim").GetInt32(), root.GetProperty("heads").GetInt32());
        var expected = root.GetProperty("params").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal);
        var actual = compositor.named_parameters().Select(p => p.name).Order(StringComparer.Ordinal);
        Assert.Equal(expected, actual);
    }

    /// <summary>Copies every golden parameter into the parameter of the same name; fails on a missing, extra or misshapen one.</summary>
    private static void LoadParametersByName(nn.Module module, JsonElement parameters)
    {
        var byName = module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var goldenNames = parameters.EnumerateObject().Select(p => p.Name).ToHashSet();
        var missing = byName.Keys.Where(n => !goldenNames.Contains(n)).ToList();
        var extra = goldenNames.Where(n => !byName.ContainsKey(n)).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0,
            $"Parameter names differ from the golden. Module only: [{string.Join(", ", missing)}]; golden only: [{string.Join(", ", extra)}].");

        using var noGrad = no_grad();
        foreach (var property in parameters.EnumerateObject())
        {
            var value = GoldenTensors.ToTensor(property.Value);
            var target = byName[property.Name];
            Assert.True(target.shape.SequenceEqual(value.shape),
                $"{property.Name}: module shape [{string.Join(", ", target.shape)}], golden [{string.Join(", ", value.shape)}].");
            target.copy_(value);
        }
    }
}
