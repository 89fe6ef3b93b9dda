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
    public abstract Data.ITextTokenizer Tokenizer { get; }
}
