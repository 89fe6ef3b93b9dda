using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling.Inference;

/// <summary>
/// The inference form of a text encoder that has no faster one (<see cref="SmallTextEncoder"/>): a copy of the
/// encoder (<see cref="InferenceCopy"/>), run as trained, in evaluation mode.
/// </summary>
internal sealed class EvaluationModeTextEncoder : InferenceTextEncoder
{
    private readonly TextEncoder encoder;

    /// <param name="copy">A copy of the source encoder, owned by this encoder from now on.</param>
    public EvaluationModeTextEncoder(TextEncoder copy) : base(nameof(EvaluationModeTextEncoder), copy.Tokenizer, copy.OutputDimension)
    {
        encoder = copy;
        RegisterComponents();
        eval();
    }

    /// <summary>Sentence features of ids and mask, as the source encoder's <c>forward</c> in evaluation mode.</summary>
    public override Tensor forward(Tensor ids, Tensor mask) => encoder.forward(ids, mask);

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">When asked for training mode.</exception>
    public override void train(bool train = true)
    {
        if (train)
            throw new InvalidOperationException($"An {nameof(EvaluationModeTextEncoder)} is for inference only; train the {encoder.GetType().Name} it was made from.");
        base.train(false);
    }
}
