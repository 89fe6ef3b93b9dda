using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>
/// The weights of one <see cref="CompositorAttention"/> block as inference uses them, float64 copies without gradient
/// (made by <see cref="CompositorAttention.FoldedWeights"/> for <see cref="Inference.FoldedComposer"/>). The value convolution is
/// composed with the merge convolution, both linear and bias-free: V = ImageValue · x + TextValue · t.
/// </summary>
/// <param name="Query">Q's 1×1 convolution, [C, C].</param>
/// <param name="Key">K's 1×1 convolution, [C, C].</param>
/// <param name="ImageValue">Wv times the image half of merge, [C, C].</param>
/// <param name="TextValue">Wv times the text half of merge, [C, D].</param>
/// <param name="TextWeight">Wt of the text-to-image map, [C, D].</param>
/// <param name="TextBias">Wt's bias, [C].</param>
/// <param name="Output">Wr, [C, C].</param>
/// <param name="OutputBias">Wr's bias, [C].</param>
internal sealed record CompositorAttentionWeights(
    Tensor Query, Tensor Key, Tensor ImageValue, Tensor TextValue, Tensor TextWeight, Tensor TextBias, Tensor Output, Tensor OutputBias);
