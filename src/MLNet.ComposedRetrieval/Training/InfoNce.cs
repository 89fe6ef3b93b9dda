using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Training;

/// <summary>
/// The batch-wise classification loss of the paper's Eq. 2 (docs/method.md "Losses", InfoNCE): the logits
/// <c>query @ target^T</c> (B x B) are scored by cross-entropy against the diagonal, query -> target only,
/// averaged over the B rows. There is no temperature: features carry a norm scale of 4, so the logits are
/// already 16 x cosine.
/// </summary>
internal static class InfoNce
{
    /// <summary>L_info(query, target) as a scalar tensor with the inputs' dtype; gradients flow to both.</summary>
    /// <param name="query">Composed query features f_s [B, D].</param>
    /// <param name="target">Target features [B, D]: f_t for the clean term, f_aug for the uncertainty term.</param>
    public static Tensor Compute(Tensor query, Tensor target)
    {
        RequireSameBatchShape(query, target);
        using var scope = NewDisposeScope();
        var logits = query.matmul(target.t());
        var diagonal = arange(query.shape[0], dtype: ScalarType.Int64, device: query.device);
        return nn.functional.cross_entropy(logits, diagonal).MoveToOuterDisposeScope();
    }

    /// <summary>Throws unless both tensors are [B, D] with the same B &gt; 0 and D.</summary>
    internal static void RequireSameBatchShape(Tensor query, Tensor target)
    {
        if (query.dim() != 2 || target.dim() != 2 || query.shape[0] != target.shape[0] ||
            query.shape[1] != target.shape[1] || query.shape[0] == 0)
        {
            throw new ArgumentException(
                $"query and target must both be [B, D] with the same B > 0 and D; found query [{string.Join(", ", query.shape)}] " +
                $"and target [{string.Join(", ", target.shape)}].");
        }
    }
}
