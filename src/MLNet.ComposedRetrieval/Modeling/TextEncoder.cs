using MLNet.ComposedRetrieval.Modeling.Inference;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>
/// A sentence encoder: token ids [B, L] (int64) and attention mask [B, L] (int64, 1 = real token) in,
/// one feature per sentence [B, <see cref="OutputDimension"/>] out. The compositor sees it after
/// the text projection.
/// </summary>
internal abstract class TextEncoder : nn.Module<Tensor, Tensor, Tensor>
{
    protected TextEncoder(string name) : base(name) { }

    /// <summary>Width of the sentence feature.</summary>
    public abstract int OutputDimension { get; }

    /// <summary>The tokenizer whose ids this encoder expects.</summary>
    public abstract ITextTokenizer Tokenizer { get; }

    /// <summary>
    /// This encoder's inference form (the one convention of docs/architecture.md, inference): a snapshot of its function
    /// in evaluation mode, from its current weights, folded or fused where a faster form exists. This encoder, its mode
    /// and its parameters are left as they are; the snapshot shares no tensor with it.
    /// </summary>
    public abstract InferenceTextEncoder ToInference();

    /// <summary>True after <see cref="Freeze"/>: no parameter gets a gradient and the module stays in eval mode.</summary>
    public bool IsFrozen { get; private set; }

    /// <summary>
    /// Makes the encoder a fixed function (for precomputed text features): all its parameters stop requiring
    /// gradients and Dropout/normalisation layers stay in evaluation mode even when a parent calls <c>train()</c>.
    /// Irreversible for this instance.
    /// </summary>
    public void Freeze()
    {
        IsFrozen = true;
        ModuleFreezing.Freeze(this);
    }

    /// <inheritdoc/>
    public override void train(bool train = true) =>
        base.train(ModuleFreezing.EffectiveTrainingMode(train, IsFrozen));
}
