using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>Shape checks with messages that name the tensor and the expected vs found shape.</summary>
internal static class TensorShape
{
    /// <summary>"[2, 16, 3, 4]".</summary>
    public static string Format(Tensor tensor) => $"[{string.Join(", ", tensor.shape)}]";

    /// <summary>Throws unless <paramref name="tensor"/> has <paramref name="dimensions"/> dimensions.</summary>
    public static void RequireRank(Tensor tensor, int dimensions, string what, string expected)
    {
        if (tensor.dim() != dimensions)
            throw new ArgumentException($"{what}: expected {expected}, found shape {Format(tensor)}.");
    }

    /// <summary>Throws unless dimension <paramref name="dimension"/> of <paramref name="tensor"/> has size <paramref name="size"/>.</summary>
    public static void RequireSize(Tensor tensor, int dimension, long size, string what, string expected)
    {
        if (tensor.dim() <= dimension || tensor.shape[dimension] != size)
            throw new ArgumentException($"{what}: expected {expected}, found shape {Format(tensor)}.");
    }
}
