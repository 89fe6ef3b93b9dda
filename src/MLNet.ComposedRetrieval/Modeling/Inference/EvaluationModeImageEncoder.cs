using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling.Inference;

/// <summary>
/// The inference form of an image backbone that has no faster one (<see cref="SmallConvBackbone"/>): a copy of the
/// backbone (<see cref="InferenceCopy"/>), run as trained, in evaluation mode.
/// </summary>
internal sealed class EvaluationModeImageEncoder : InferenceImageEncoder
{
    private readonly ImageBackbone backbone;

    /// <param name="copy">A copy of the source backbone, owned by this encoder from now on.</param>
    public EvaluationModeImageEncoder(ImageBackbone copy) : base(nameof(EvaluationModeImageEncoder), copy.Preprocessing)
    {
        backbone = copy;
        RegisterComponents();
        eval();
    }

    /// <inheritdoc/>
    public override string SelectExecution() => "as trained (batch norm folding needs a ResNet)";

    /// <summary>The backbone map of preprocessed images, as the source backbone's <c>forward</c> in evaluation mode.</summary>
    public override Tensor forward(Tensor images) => backbone.forward(images);

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">When asked for training mode.</exception>
    public override void train(bool train = true)
    {
        if (train)
            throw new InvalidOperationException($"An {nameof(EvaluationModeImageEncoder)} is for inference only; train the {backbone.GetType().Name} it was made from.");
        base.train(false);
    }
}
