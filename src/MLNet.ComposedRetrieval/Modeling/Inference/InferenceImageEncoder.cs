using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling.Inference;

/// <summary>
/// The inference form of an <see cref="ImageBackbone"/>, made by its <see cref="ImageBackbone.ToInference"/>: preprocessed
/// images [B, 3, H, W] to the backbone map [B, C, h, w], the backbone's function in evaluation mode (up to float
/// rounding where the form is folded). A snapshot of the weights of the moment it was made: training the backbone
/// afterwards does not change it, nothing in training runs through it, and it cannot be put in training mode.
/// </summary>
internal abstract class InferenceImageEncoder : nn.Module<Tensor, Tensor>
{
    protected InferenceImageEncoder(string name, ImagePreprocessing preprocessing) : base(name)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        Preprocessing = preprocessing;
    }

    /// <summary>How images must be prepared for this encoder (the source backbone's preprocessing).</summary>
    public ImagePreprocessing Preprocessing { get; }

    /// <summary>
    /// Picks the fastest way this encoder has of running on its current device and type, once, before it is shared
    /// between threads (not thread-safe), and says which it picked (for diagnostics).
    /// </summary>
    public abstract string SelectExecution();
}
