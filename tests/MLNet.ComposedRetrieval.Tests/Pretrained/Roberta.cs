using MLNet.ComposedRetrieval.Modeling;
using static TorchSharp.torch;

using MLNet.ComposedRetrieval.Pretrained;

namespace MLNet.ComposedRetrieval.Tests.Pretrained;

/// <summary>
/// RoBERTa (the paper's text backbone, roberta-base by default) from user-supplied Hugging Face files: the
/// weights as a PyTorch state_dict or <c>.safetensors</c> (read by <see cref="ModuleCheckpoint"/>, strictly: every
/// encoder weight must be there and nothing else but Hugging Face's pooler), and the tokenizer's <c>vocab.json</c>
/// and <c>merges.txt</c>. No RoBERTa weights ship in a NuGet package.
/// </summary>
internal static class Roberta
{
    /// <summary>The key prefix of Hugging Face's roberta-base download (a <c>RobertaForMaskedLM</c>), whose encoder
    /// weights are <c>roberta.embeddings.*</c> and <c>roberta.encoder.*</c>.</summary>
    public const string HuggingFaceKeyPrefix = "roberta.";

    /// <summary>A RoBERTa encoder holding the checkpoint's weights, in evaluation mode, pooled by its first token.</summary>
    /// <param name="checkpointPath">PyTorch state_dict (<c>.bin</c>/<c>.pt</c>) or <c>.safetensors</c>.</param>
    /// <param name="vocabularyPath">The tokenizer's <c>vocab.json</c>.</param>
    /// <param name="mergesPath">The tokenizer's <c>merges.txt</c>.</param>
    /// <param name="keyPrefix">What the checkpoint's keys start with, e.g. <see cref="HuggingFaceKeyPrefix"/>;
    /// null when they are the encoder's own names (<c>embeddings.*</c>, <c>encoder.*</c>).</param>
    /// <param name="options">Sizes when not roberta-base's.</param>
    public static TransformerTextEncoder FromCheckpoint(
        string checkpointPath, string vocabularyPath, string mergesPath, string? keyPrefix = null, TransformerOptions? options = null)
    {
        var tokenizer = RobertaTextTokenizer.FromFiles(vocabularyPath, mergesPath);
        var encoder = new TransformerTextEncoder(options ?? TransformerOptions.RobertaBase, tokenizer);
        try
        {
            using var scope = NewDisposeScope();
            var state = ModuleCheckpoint.Read(checkpointPath, keyPrefix)
                .Where(entry => !IsUnusedHuggingFaceKey(entry.Key))
                .ToDictionary(StringComparer.Ordinal);
            ModuleCheckpoint.Load(encoder, state, keyPrefix is null ? checkpointPath : $"{checkpointPath} (keys under '{keyPrefix}')");
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
        encoder.eval();
        return encoder;
    }

    // Hugging Face checkpoints (roberta-base's own included) also hold the pooler, which the paper does not use
    // (it pools by the first token), and, from older transformers versions, the constant position-id buffer.
    private static bool IsUnusedHuggingFaceKey(string key) =>
        key.StartsWith("pooler.", StringComparison.Ordinal) || key == "embeddings.position_ids";
}
