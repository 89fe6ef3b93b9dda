using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling.Inference;

/// <summary>
/// The inference form of a <see cref="TextEncoder"/>, made by its <see cref="TextEncoder.ToInference"/>: token ids
/// [B, L] and mask [B, L] (int64, 1 = real token) to sentence features [B, <see cref="OutputDimension"/>], the
/// encoder's function in evaluation mode (up to float rounding where the form is folded). A snapshot of the weights of
/// the moment it was made, like <see cref="InferenceImageEncoder"/>; it cannot be put in training mode.
/// </summary>
internal abstract class InferenceTextEncoder : nn.Module<Tensor, Tensor, Tensor>
{
    protected InferenceTextEncoder(string name, ITextTokenizer tokenizer, int outputDimension) : base(name)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        Tokenizer = tokenizer;
        OutputDimension = outputDimension;
    }

    /// <summary>The tokenizer whose ids this encoder expects (the source encoder's).</summary>
    public ITextTokenizer Tokenizer { get; }

    /// <summary>Width of the sentence feature.</summary>
    public int OutputDimension { get; }
}
