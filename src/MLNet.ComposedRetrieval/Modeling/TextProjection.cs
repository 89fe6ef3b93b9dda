using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>
/// Maps the text encoder's sentence feature to the compositor's text width (docs/method.md, text encoder):
/// BatchNorm1d, then Linear, then (an ablation, off by default) dropout while training. Deliberately not normalised:
/// the compositor's style module reads the magnitude of t.
/// </summary>
/// <remarks>In training mode BatchNorm1d needs more than one sentence per batch.</remarks>
internal sealed class TextProjection : nn.Module<Tensor, Tensor>
{
    private readonly BatchNorm1d norm;
    private readonly Linear linear;

    /// <param name="inDimension">Width of the raw sentence feature (384 for MiniLM, 768 for RoBERTa-base).</param>
    /// <param name="outDimension">Width of t as the compositor sees it (D = 512 in the paper).</param>
    /// <param name="dropout">Dropout rate after the linear while training; 0 for none.</param>
    public TextProjection(int inDimension, int outDimension, double dropout = 0) : base(nameof(TextProjection))
    {
        if (!(dropout >= 0 && dropout < 1)) throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "The text dropout rate must be in [0, 1).");
        Dropout = dropout;
        ArgumentOutOfRangeException.ThrowIfLessThan(inDimension, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outDimension, 1);
        InDimension = inDimension;
        OutDimension = outDimension;
        norm = nn.BatchNorm1d(inDimension);
        linear = nn.Linear(inDimension, outDimension);
        RegisterComponents();
    }

    /// <summary>Width of the raw sentence feature.</summary>
    public int InDimension { get; }

    /// <summary>Width of the projected feature.</summary>
    public int OutDimension { get; }

    /// <summary>The dropout rate after the linear while training (0: none).</summary>
    public double Dropout { get; }

    /// <summary>
    /// The affine map this projection computes in evaluation mode (where dropout is off), t = W' s + b', with the batch norm's running
    /// statistics and affine parameters folded into the linear: float64 copies [out, in] and [out], for inference
    /// snapshots (<see cref="Inference.FoldedComposer"/>).
    /// </summary>
    internal (Tensor Weight, Tensor Bias) EvaluationAffine()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        // BN(s) = s · k + (β − μ k) with k = γ / sqrt(σ² + ε); then W BN(s) + b = (W diag k) s + W (β − μ k) + b.
        var scale = norm.running_var!.to(ScalarType.Float64).add(norm.eps).rsqrt();
        if (norm.weight is not null) scale = scale.mul(norm.weight.to(ScalarType.Float64));
        var shift = norm.running_mean!.to(ScalarType.Float64).mul(scale).neg();
        if (norm.bias is not null) shift = shift.add(norm.bias.to(ScalarType.Float64));
        var weight = linear.weight!.to(ScalarType.Float64);
        var bias = weight.matmul(shift);
        if (linear.bias is not null) bias = bias.add(linear.bias.to(ScalarType.Float64));
        return (weight.mul(scale).MoveToOuterDisposeScope(), bias.MoveToOuterDisposeScope());
    }

    /// <summary>Sentence features [B, in] to text features [B, out].</summary>
    public override Tensor forward(Tensor sentenceFeature)
    {
        TensorShape.RequireRank(sentenceFeature, 2, "Text projection input", $"[B, {InDimension}]");
        TensorShape.RequireSize(sentenceFeature, 1, InDimension, "Text projection input", $"[B, {InDimension}]");
        using var scope = NewDisposeScope();
        var projected = linear.forward(norm.forward(sentenceFeature));
        if (Dropout > 0) projected = nn.functional.dropout(projected, Dropout, training);
        return projected.MoveToOuterDisposeScope();
    }
}
