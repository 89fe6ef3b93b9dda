using MLNet.ComposedRetrieval.Modeling;
using MLNet.ComposedRetrieval.Pretrained;
using MLNet.ComposedRetrieval.Training;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// Turns a network trained on precomputed features (built without one or both encoders: the frozen-backbone
/// mode, docs/architecture.md) into the full inference model of the ML.NET component: the frozen encoders whose features it was trained on,
/// plus its trained text projection, compositor and image head, as a <see cref="ComposeImageTextTransformer"/> that
/// saves to and loads from the one-file model format. The transformer gets its own copy of every weight, so it can be
/// saved and disposed while the training network and the shared encoders live on.
/// </summary>
internal static class InferenceModelAssembly
{
    /// <param name="environment">The environment the transformer logs through.</param>
    /// <param name="trained">The trained network; an encoder it holds (fine-tuned) is taken from it.</param>
    /// <param name="imageBackbone">The frozen backbone that produced the network's image maps (used when the network has none).</param>
    /// <param name="textEncoder">The frozen text encoder that produced its sentence features (used when the network has none).</param>
    /// <param name="description">Describes the encoders (as from <see cref="EncoderFactory.CreateForTraining(ModelDescription)"/>)
    /// and the upper part, whose sizes must be the network's.</param>
    /// <param name="history">The training history kept in the model file.</param>
    /// <param name="device">Where the model runs (CPU by default).</param>
    /// <param name="settings">Column names and batch size of the transformer (the estimator's defaults by default).</param>
    /// <param name="training">The kept epoch and validation figures of the Fit that trained it, if any.</param>
    /// <exception cref="ArgumentException">The description's sizes are not the network's, or the encoders do not fit it.</exception>
    public static ComposeImageTextTransformer Assemble(ComponentEnvironment environment, ComposedRetrievalNetwork trained,
        ImageBackbone imageBackbone, TextEncoder textEncoder, ModelDescription description, IReadOnlyList<EpochRecord> history,
        Device? device = null, TransformerSettings? settings = null, TrainingOutcome? training = null)
    {
        ArgumentNullException.ThrowIfNull(trained);
        ArgumentNullException.ThrowIfNull(description);
        if (description.NetworkOptions != trained.Options)
            throw new ArgumentException(
                $"The model description's upper part ({description.NetworkOptions}) is not the trained network's ({trained.Options}).", nameof(description));
        var backbone = trained.ImageBackbone ?? imageBackbone;
        var text = trained.TextEncoder ?? textEncoder;

        // The network's own state dict names its parts image_backbone.*, text_encoder.*, text_projection.*, ...:
        // absent encoders are added under those prefixes, so one strict load checks every key and shape.
        var state = new Dictionary<string, Tensor>(trained.state_dict(), StringComparer.Ordinal);
        if (trained.ImageBackbone is null)
            foreach (var (key, value) in backbone.state_dict()) state.Add("image_backbone." + key, value);
        if (trained.TextEncoder is null)
            foreach (var (key, value) in text.state_dict()) state.Add("text_encoder." + key, value);

        var network = EncoderFactory.CreateNetworkForLoading(description, backbone.Preprocessing);
        try
        {
            ModuleCheckpoint.Load(network, state, "the trained network and its frozen encoders");
        }
        catch (InvalidDataException e)
        {
            network.Dispose();
            throw new ArgumentException($"The encoders or the description do not fit the trained network: {e.Message}", nameof(description), e);
        }
        catch
        {
            network.Dispose();
            throw;
        }
        // The model keeps the network's inference form and a copy of its state dict (for Save), and disposes it.
        var model = new ComposedRetrievalModel(network, description, device ?? CPU);
        return new ComposeImageTextTransformer(environment, model, settings ?? new TransformerSettings(), history) { Training = training };
    }
}
