namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>A 2-D convolution's padding, stride and dilation per dimension (height, width), and its groups.</summary>
internal readonly record struct ConvolutionGeometry(int PaddingH, int PaddingW, int StrideH, int StrideW, int DilationH, int DilationW, int Groups)
{
    /// <summary>The geometry of a convolution with TorchSharp's per-dimension arrays (one value means both dimensions).</summary>
    public static ConvolutionGeometry Of(long[] padding, long[] stride, long[] dilation, long groups) =>
        new(Checked(padding, 0), Checked(padding, ^1), Checked(stride, 0), Checked(stride, ^1), Checked(dilation, 0), Checked(dilation, ^1), checked((int)groups));

    private static int Checked(long[] values, Index index) => checked((int)values[index]);
}
