using MLNet.ComposedRetrieval.Modeling.Inference;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>
/// The lower part of the image encoder (docs/method.md "Network"): a batch of preprocessed images
/// [B, 3, H, W] in, a spatial feature map [B, C, h, w] out. Reference images feed the compositor with this
/// map; target images go through the shared embedding head.
/// </summary>
internal abstract class ImageBackbone : nn.Module<Tensor, Tensor>
{
    protected ImageBackbone(string name) : base(name) { }

    /// <summary>C, the channel count of the map.</summary>
    public abstract int OutputChannels { get; }

    /// <summary>How images must be prepared for this backbone.</summary>
    public abstract ImagePreprocessing Preprocessing { get; }

    /// <summary>
    /// This backbone's inference form (the one convention of docs/architecture.md, inference): a snapshot of its function
    /// in evaluation mode, from its current weights, folded or fused where a faster form exists. This backbone, its mode
    /// and its parameters are left as they are; the snapshot shares no tensor with it.
    /// </summary>
    public abstract InferenceImageEncoder ToInference();

    /// <summary>True after <see cref="Freeze"/>: no parameter gets a gradient and the module stays in eval mode.</summary>
    public bool IsFrozen { get; private set; }

    /// <summary>
    /// Makes the backbone a fixed function (the frozen-backbone + feature-cache mode): all its parameters stop
    /// requiring gradients and BatchNorm/Dropout stay in evaluation mode even when a parent calls <c>train()</c>.
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
