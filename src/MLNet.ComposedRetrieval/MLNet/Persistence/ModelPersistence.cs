using Microsoft.ML.Runtime;
using MLNet.ComposedRetrieval.Modeling;
using MLNet.ComposedRetrieval.Pretrained;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// Turns a <see cref="ComposeImageTextTransformer"/> into a <see cref="ModelFile"/> and back: the network's whole state
/// dict (encoders included, so a model file needs no other file), the preprocessing's mean image, the description that
/// rebuilds the network and tokenizer, the column settings and the training history. The model keeps only its inference
/// form; the state dict comes from its <see cref="ComposedRetrievalModel.Weights"/> (kept in memory, or read again from
/// the file it was loaded from).
/// </summary>
internal static class ModelPersistence
{
    private const string MeanImageTensor = "preprocessing.mean_image";

    /// <returns>The SHA-256 of what was written (hex).</returns>
    public static string Write(Stream stream, ComposeImageTextTransformer transformer)
    {
        var model = transformer.Model;
        var manifest = new ModelManifest
        {
            LibraryVersion = ModelFile.LibraryVersion,
            Model = model.Description,
            Settings = transformer.Settings,
            TrainingHistory = transformer.TrainingHistory.ToList(),
            ValidationRecallAsFraction = true,
        };
        return model.Weights.Use(weights =>
        {
            var tensors = weights.ToList();
            using var scope = NewDisposeScope();
            if (model.Preprocessing.MeanImage is { } meanImage)
                tensors.Add((MeanImageTensor, tensor(meanImage, [3, model.Preprocessing.Height, model.Preprocessing.Width])));
            return ModelFile.Write(stream, manifest, tensors);
        });
    }

    /// <summary>Reads a model; a model read from a file stream keeps no copy of its state dict (saving reads the file
    /// again, <see cref="ModelFileWeights"/>), one read from another stream keeps the file's tensors for saving.</summary>
    public static ComposeImageTextTransformer Read(ComponentEnvironment environment, Stream stream, string source)
    {
        using var channel = environment.Register(ComposeImageTextEstimator.ComponentName).Start("Load");
        // A seekable file stream names a file Save can read again; any other stream's tensors are kept.
        var file = stream is FileStream { CanSeek: true } fileStream ? fileStream : null;
        var offset = file?.Position ?? 0;
        // No dispose scope here: the network's parameters are created below and must outlive this method.
        var (manifest, tensors) = ModelFile.Read(stream, source, out var checksum);
        var description = manifest.Model;
        ComposedRetrievalNetwork? network = null;
        ModelWeights? weights = null;
        try
        {
            CheckSettings(manifest, source);
            float[]? meanImage = tensors.Remove(MeanImageTensor, out var mean) ? mean.data<float>().ToArray() : null;
            mean?.Dispose();
            var preprocessing = description.Preprocessing.ToPreprocessing(meanImage);
            network = EncoderFactory.CreateNetworkForLoading(description, preprocessing);
            ModuleCheckpoint.Load(network, tensors, source);
            // The file's own tensors are the state dict Save writes: kept when the stream cannot be read again.
            weights = file is null
                ? new InMemoryModelWeights(manifest.Tensors.Where(e => e.Name != MeanImageTensor).Select(e => (e.Name, tensors[e.Name])).ToList())
                : new ModelFileWeights(file.Name, offset, checksum, new HashSet<string>(StringComparer.Ordinal) { MeanImageTensor });
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or NotSupportedException)
        {
            network?.Dispose();
            throw new InvalidDataException($"'{source}' describes a model this version of MLNet.ComposedRetrieval cannot build: {e.Message}", e);
        }
        catch
        {
            network?.Dispose();
            throw;
        }
        finally
        {
            if (weights is not InMemoryModelWeights)
                foreach (var tensor in tensors.Values) tensor.Dispose();
        }
        var device = TorchDevice.Select(environment, channel);
        var model = new ComposedRetrievalModel(network, description, device, weights);
        channel.Info(MessageSensitivity.None,
            $"Loaded '{source}': {description.ImageEncoder} + {description.TextEncoder}, {description.EmbeddingDimension}-d embeddings, on {device}.");
        return new ComposeImageTextTransformer(environment, model, manifest.Settings, manifest.HistoryWithRecallAsFractions(), checksum);
    }

    /// <summary>Refuses settings no saved model has (a damaged or edited file) before anything is built from them.</summary>
    private static void CheckSettings(ModelManifest manifest, string source)
    {
        if (manifest.Model is null || manifest.Settings is null || manifest.TrainingHistory is null)
            throw new InvalidDataException($"'{source}' has an incomplete manifest (no model description, settings or training history).");
        if (!ModelSettingLimits.IsValidInferenceBatchSize(manifest.Settings.BatchSize))
            throw Invalid("BatchSize", manifest.Settings.BatchSize, ModelSettingLimits.InferenceBatchSizeRule);
        if (!ModelSettingLimits.IsValidTextLength(manifest.Model.MaxTextLength))
            throw Invalid("MaxTextLength", manifest.Model.MaxTextLength, ModelSettingLimits.TextLengthRule);

        InvalidDataException Invalid(string name, int value, string rule) =>
            new($"'{source}' holds an invalid {name} of {value} ({rule}); the file is damaged or was edited.");
    }
}
