using MLNet.ComposedRetrieval.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling.Inference;

/// <summary>
/// Conversion of float32 CPU tensors into oneDNN's (MKLDNN's) own tensor layout and back. libtorch's 2-D convolution,
/// ReLU, addition and max pooling accept such tensors and keep the layout, so a network run in it skips the
/// conversions libtorch's dense path makes around every oneDNN convolution (see <see cref="FoldedResNet.TryUseOneDnn"/>).
/// </summary>
/// <remarks>
/// <para>TorchSharp 0.107 has no <c>to_mkldnn</c>; it is reached through a one-line TorchScript, compiled by
/// libtorch once per process, on first use. The script is a constant: a TorchScript compile error can end the process
/// (libtorch calls std::terminate through TorchSharp), so nothing here may ever be built from input. Errors while it
/// runs are ordinary exceptions. <see cref="Availability"/> compiles it and checks, once, that a small convolution,
/// ReLU, sum and max pool in oneDNN's layout equal the dense ones; libtorch builds without oneDNN fail that check and
/// keep the dense path. The function may run on several threads at once (each call has its own tensors). The
/// compilation unit lives as long as the process.</para>
/// </remarks>
internal static class OneDnnOps
{
    private const string Script = """
        def to_onednn(x: Tensor) -> Tensor:
            return x.to_mkldnn()

        """; // TorchScript wants the last line ended

    private static readonly Lazy<(jit.CompilationUnit? Unit, string? Failure)> Compiled = new(CompileAndCheck, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// Null when the oneDNN layout works in this process; otherwise why not. The host check and the switch
    /// (<see cref="NativeFastPaths"/>) come first, so that a host where oneDNN's sum would divide by zero never runs
    /// the self-check; only then is the layout tried once.
    /// </summary>
    public static string? Availability => NativeFastPaths.OneDnnLayoutBlockedReason ?? Compiled.Value.Failure;

    /// <summary>Whether <paramref name="tensor"/> is of the kind oneDNN's layout takes here: float32 on the CPU.</summary>
    public static bool Accepts(Tensor tensor) => tensor.device_type == DeviceType.CPU && tensor.dtype == ScalarType.Float32;

    /// <summary>A float32 CPU tensor in oneDNN's layout (the same values); <c>to_dense()</c> converts it back.</summary>
    /// <exception cref="InvalidOperationException">oneDNN's layout is unavailable (see <see cref="Availability"/>).</exception>
    public static Tensor ToOneDnn(Tensor dense)
    {
        // Nets decide once, in TryUseOneDnn, through Availability; a switch flipped later leaves them as they are.
        var unit = Compiled.Value.Unit
                   ?? throw new InvalidOperationException($"oneDNN's tensor layout is unavailable in this process: {Compiled.Value.Failure}");
        return (Tensor)unit.invoke("to_onednn", dense);
    }

    /// <summary>Compiles the script, then runs a small strided, padded convolution, ReLU, sum and max pool both ways and compares.</summary>
    private static (jit.CompilationUnit?, string?) CompileAndCheck()
    {
        try
        {
            var unit = jit.compile(Script);
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            using var generator = new Generator(1);
            var weight = randn([4, 2, 3, 3], generator: generator);
            var bias = randn([4], generator: generator);
            var input = randn([1, 2, 7, 6], generator: generator);
            Tensor Run(Tensor x)
            {
                var y = nn.functional.conv2d(x, weight, bias, [2, 1], [1, 1]).relu_();
                return nn.functional.max_pool2d(y.add_(y), [2, 2]);
            }
            var expected = Run(input);
            var actual = Run((Tensor)unit.invoke("to_onednn", input)).to_dense();
            if (!actual.allclose(expected, rtol: 1e-4, atol: 1e-4))
                return (null, "a test convolution in oneDNN's layout differed from the dense one");
            return (unit, null);
        }
        catch (Exception e) // whatever failed, the dense path still works
        {
            return (null, e.Message.Split('\n')[0]);
        }
    }
}
