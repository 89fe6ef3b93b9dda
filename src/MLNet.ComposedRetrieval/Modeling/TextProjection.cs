using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>
/// Maps the text encoder's sentence feature to the compositor's text width (METHOD.md "Network", text
/// encoder): BatchNorm1d, then Linear. Deliberately not normalised: the compositor's style module reads the
/// magnitude of t.
/// </summary>
/// <remarks>In training mode BatchNorm1d needs more than one sentence per batch.</remarks>
internal sealed class TextProjection : nn.Module<Tensor, Tensor>
{
    private readonly BatchNorm1d norm;
    private readonly Linear linear;

    /// <param name="inDimension">Width of the raw sentence feature (384 for MiniLM, 768 for RoBERTa-base).</param>
    /// <param name="outDimension">Width of t as the compositor sees it (D = 512 in the paper).</param>
    public TextProjection(int inDimension, int outDimension) : base(nameof(TextProjection))
    {
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

    /// <summary>Sentence features [B, in] to text features [B, out].</summary>
    public override Tensor forward(Tensor sentenceFeature)
    {
        TensorShape.RequireRank(sentenceFeature, 2, "Text projection input", $"[B, {InDimension}]");
        TensorShape.RequireSize(sentenceFeature, 1, InDimension, "Text projection input", $"[B, {InDimension}]");
        using var scope = NewDisposeScope();
        return linear.forward(norm.forward(sentenceFeature)).MoveToOuterDisposeScope();
    }
}
