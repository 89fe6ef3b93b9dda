using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>
/// The few libtorch operations on oneDNN (MKLDNN) layout tensors that TorchSharp 0.107 does not expose: converting
/// a dense tensor to oneDNN's layout and back, reordering a convolution weight into oneDNN's blocked layout once,
/// and a convolution on such tensors. They are reached through a small fixed TorchScript (compiled by libtorch once
/// per process, on first use) whose functions are called by name.
/// </summary>
/// <remarks>
/// <para>Why: libtorch's dense CPU convolution runs oneDNN too, but reorders the weight from PyTorch's layout into
/// oneDNN's on every call (about a quarter of a batch-1 ResNet-18 forward); a weight reordered once, and
/// activations kept in oneDNN's layout between layers, skip that work (<see cref="FoldedResNet.TryUseOneDnn"/>).</para>
/// <para>The script is a constant: a TorchScript compile error ends the process (libtorch calls std::terminate
/// through TorchSharp), so nothing here may ever be built from input. Errors while a function runs are ordinary
/// exceptions. <see cref="Availability"/> compiles the script and checks one small convolution against the dense
/// one, once; libtorch builds without oneDNN fail that check and keep the dense path. Calls are thread-safe
/// (libtorch's TorchScript functions may run concurrently; each call has its own tensors). The compilation unit
/// lives as long as the process.</para>
/// <para>Integers are passed as separate <c>int</c> arguments (TorchSharp cannot pass arrays to TorchScript, and
/// boxes <c>long</c>s into Scalars that only the finalizer frees) and made into lists inside the script.</para>
/// </remarks>
internal static class OneDnnOps
{
    private const string Script = """
        def to_onednn(x: Tensor) -> Tensor:
            return x.to_mkldnn()

        def to_dense(x: Tensor) -> Tensor:
            return x.to_dense()

        def reorder_convolution_weight(weight: Tensor, padding_h: int, padding_w: int, stride_h: int, stride_w: int,
                                       dilation_h: int, dilation_w: int, groups: int) -> Tensor:
            return torch.mkldnn_reorder_conv2d_weight(weight.to_mkldnn(), [padding_h, padding_w], [stride_h, stride_w],
                                                      [dilation_h, dilation_w], groups)

        def convolution(x: Tensor, weight: Tensor, bias: Tensor, padding_h: int, padding_w: int, stride_h: int, stride_w: int,
                        dilation_h: int, dilation_w: int, groups: int) -> Tensor:
            return torch.mkldnn_convolution(x, weight, bias, [padding_h, padding_w], [stride_h, stride_w],
                                            [dilation_h, dilation_w], groups)

        """; // TorchScript wants the last line ended

    private static readonly Lazy<(jit.CompilationUnit? Unit, string? Failure)> Compiled = new(CompileAndCheck, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Null when the oneDNN operations work in this process; otherwise why not (found by trying them once).</summary>
    public static string? Availability => Compiled.Value.Failure;

    /// <summary>Whether <paramref name="tensor"/> is of the kind these operations take: float32 on the CPU.</summary>
    public static bool Accepts(Tensor tensor) => tensor.device_type == DeviceType.CPU && tensor.dtype == ScalarType.Float32;

    /// <summary>A float32 CPU tensor in oneDNN's layout (the same values; most TorchSharp element-wise and pooling
    /// operations accept it, and keep the layout).</summary>
    public static Tensor ToOneDnn(Tensor dense) => Invoke("to_onednn", dense);

    /// <summary>A oneDNN-layout tensor back in PyTorch's dense contiguous layout.</summary>
    public static Tensor ToDense(Tensor oneDnn) => Invoke("to_dense", oneDnn);

    /// <summary>A float32 CPU convolution weight [out, in / groups, kh, kw] reordered into the blocked layout oneDNN's
    /// convolution uses for this geometry; valid for any batch size and input size.</summary>
    public static Tensor ReorderConvolutionWeight(Tensor weight, ConvolutionGeometry geometry) =>
        Invoke("reorder_convolution_weight", weight, geometry.PaddingH, geometry.PaddingW, geometry.StrideH, geometry.StrideW,
            geometry.DilationH, geometry.DilationW, geometry.Groups);

    /// <summary>The convolution of <paramref name="input"/> (dense or oneDNN layout; the result has the same layout) with
    /// a weight from <see cref="ReorderConvolutionWeight"/> made for the same <paramref name="geometry"/>.</summary>
    public static Tensor Convolution(Tensor input, Tensor reorderedWeight, Tensor bias, ConvolutionGeometry geometry) =>
        Invoke("convolution", input, reorderedWeight, bias, geometry.PaddingH, geometry.PaddingW, geometry.StrideH, geometry.StrideW,
            geometry.DilationH, geometry.DilationW, geometry.Groups);

    private static Tensor Invoke(string function, params object[] arguments)
    {
        var unit = Compiled.Value.Unit
                   ?? throw new InvalidOperationException($"oneDNN operations are unavailable in this process: {Compiled.Value.Failure}");
        return (Tensor)unit.invoke(function, arguments);
    }

    /// <summary>Compiles the script, then runs a small strided, padded, grouped convolution both ways and compares.</summary>
    private static (jit.CompilationUnit?, string?) CompileAndCheck()
    {
        try
        {
            var unit = jit.compile(Script);
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            using var generator = new Generator(1);
            var geometry = new ConvolutionGeometry(PaddingH: 1, PaddingW: 2, StrideH: 2, StrideW: 1, DilationH: 1, DilationW: 1, Groups: 2);
            var weight = randn([4, 1, 3, 3], generator: generator);
            var bias = randn([4], generator: generator);
            var input = randn([1, 2, 5, 6], generator: generator);
            var expected = nn.functional.conv2d(input, weight, bias, [2, 1], [1, 2], [1, 1], 2);
            var reordered = (Tensor)unit.invoke("reorder_convolution_weight", weight, 1, 2, 2, 1, 1, 1, 2);
            var actual = (Tensor)unit.invoke("to_dense", (Tensor)unit.invoke("convolution", (Tensor)unit.invoke("to_onednn", input),
                reordered, bias, 1, 2, 2, 1, 1, 1, 2));
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
