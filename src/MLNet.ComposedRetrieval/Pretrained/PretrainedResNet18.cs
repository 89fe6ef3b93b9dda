using System.Collections.Concurrent;
using MLNet.ComposedRetrieval.Modeling;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Pretrained;

/// <summary>
/// The ImageNet ResNet-18 that ships in the NuGet package <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> as ONNX
/// files, as a TorchSharp <see cref="ResNetBackbone"/>. The package's build props copy them to
/// <c>DnnImageModels/</c> beside the application: <c>ResNet18Onnx/ResNet18.onnx</c> (a CNTK export with
/// torchvision's structure but [2, 2, 2, 3] blocks, see <see cref="CntkResNetMapping"/>) and
/// <c>ResNetPrepOnnx/ResNetPreprocess.onnx</c> (0-255 pixels, RGB to BGR, minus a per-pixel 224 x 224 mean image,
/// no division by a standard deviation), which becomes the backbone's <see cref="ImageBackbone.Preprocessing"/>.
/// The files are parsed once per process and folder; every <see cref="Create"/> gets its own copy of the weights.
/// </summary>
internal static class PretrainedResNet18
{
    public const string PackageId = "Microsoft.ML.DnnImageFeaturizer.ResNet18";
    public const string ModelsFolderName = "DnnImageModels";
    public const string NetworkFile = "ResNet18Onnx/ResNet18.onnx";
    public const string PreprocessingFile = "ResNetPrepOnnx/ResNetPreprocess.onnx";

    private static readonly ConcurrentDictionary<string, Lazy<Weights>> Cache = new(StringComparer.Ordinal);

    /// <summary>The imported backbone (in training mode, like a new torchvision model; call <c>eval()</c> for
    /// inference). Expects 224 x 224 inputs prepared with its <see cref="ImageBackbone.Preprocessing"/>.</summary>
    /// <param name="layer4StrideOne">Keep layer4 at layer3's resolution (14 x 14 map), as the paper's code does for
    /// FashionIQ and Shoes; the weights are the same.</param>
    /// <param name="modelsFolder">The folder holding the package's model files (the <c>DnnImageModels</c>
    /// folder); by default the one beside the application.</param>
    /// <exception cref="FileNotFoundException">The model files are absent; the message names the package and path.</exception>
    public static ResNetBackbone Create(bool layer4StrideOne = false, string? modelsFolder = null)
    {
        var weights = Load(modelsFolder);
        var backbone = new ResNetBackbone(weights.Architecture with { Layer4StrideOne = layer4StrideOne },
            weights.Preprocessing, name: "resnet18_imagenet");
        using var scope = NewDisposeScope();
        var state = weights.Tensors.ToDictionary(e => e.Key, e => tensor(e.Value.Values, e.Value.Shape));
        ModuleCheckpoint.Load(backbone, state, weights.Source);
        return backbone;
    }

    /// <summary>The preprocessing the package's ResNetPreprocess.onnx performs (mean image included).</summary>
    public static ImagePreprocessing Preprocessing(string? modelsFolder = null) => Load(modelsFolder).Preprocessing;

    /// <summary>The full path of one of the package's model files, checked to exist.</summary>
    /// <exception cref="FileNotFoundException">Names the package and the expected path.</exception>
    public static string FindFile(string relativePath, string? modelsFolder = null)
    {
        var candidates = modelsFolder is not null
            ? [Path.GetFullPath(Path.Combine(modelsFolder, relativePath))]
            : new[] { AppContext.BaseDirectory, Path.GetDirectoryName(typeof(PretrainedResNet18).Assembly.Location) }
                .Where(d => !string.IsNullOrEmpty(d))
                .Select(d => Path.GetFullPath(Path.Combine(d!, ModelsFolderName, relativePath)))
                .Distinct()
                .ToArray();
        return candidates.FirstOrDefault(File.Exists) ?? throw new FileNotFoundException(
            $"The ImageNet ResNet-18 model file was not found at '{candidates[0]}'. It ships in the NuGet package " +
            $"{PackageId} (0.23.1), whose build props copy {ModelsFolderName}/ into the application's output folder: " +
            $"add <PackageReference Include=\"{PackageId}\" /> to the application project, or pass the folder " +
            "holding its model files.", candidates[0]);
    }

    private static Weights Load(string? modelsFolder)
    {
        var network = FindFile(NetworkFile, modelsFolder);
        var lazy = Cache.GetOrAdd(network, path => new Lazy<Weights>(
            () => Read(path, FindFile(PreprocessingFile, modelsFolder)), LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch
        {
            Cache.TryRemove(new KeyValuePair<string, Lazy<Weights>>(network, lazy));  // let a later call retry
            throw;
        }
    }

    /// <summary>Parses both files; tensors are kept as managed arrays so no dispose scope can free the cache.</summary>
    private static Weights Read(string networkPath, string preprocessingPath)
    {
        var model = OnnxInitializers.Read(networkPath);
        var mapping = CntkResNetMapping.Read(model);
        var tensors = new Dictionary<string, (long[], float[])>(StringComparer.Ordinal);
        using (var scope = NewDisposeScope())
        {
            foreach (var (torchName, onnxName) in mapping.Names)
            {
                var value = model.Float32(onnxName);
                tensors[torchName] = (value.shape, value.data<float>().ToArray());
            }
        }
        return new Weights(mapping.Architecture, tensors, ReadPreprocessing(preprocessingPath), networkPath);
    }

    /// <summary>Recognises ResNetPreprocess.onnx's graph (Split into R, G, B; Concat; Sub of the mean image) so a
    /// different file fails loudly instead of being silently misread.</summary>
    private static ImagePreprocessing ReadPreprocessing(string path)
    {
        var model = OnnxInitializers.Read(path);
        var nodes = model.Graph.Node;
        var unexpected = nodes.Where(n => n.OpType is not ("Split" or "Concat" or "Sub")).Select(n => n.OpType).ToList();
        var split = nodes.SingleOrDefault(n => n.OpType == "Split");
        var concat = nodes.SingleOrDefault(n => n.OpType == "Concat");
        var subtract = nodes.SingleOrDefault(n => n.OpType == "Sub");
        if (unexpected.Count > 0 || split is null || concat is null || subtract is null || split.Output.Count != 3
            || subtract.Input[0] != concat.Output[0])
            throw new InvalidDataException(
                $"'{path}' is not the expected Split/Concat/Sub preprocessing graph (found: {string.Join(", ", nodes.Select(n => n.OpType))}).");
        bool bgr = concat.Input.SequenceEqual(split.Output.Reverse());
        if (!bgr && !concat.Input.SequenceEqual(split.Output))
            throw new InvalidDataException($"'{path}' reorders channels in a way other than RGB to BGR.");

        var meanName = subtract.Input[1];
        using var scope = NewDisposeScope();
        var mean = model.Float32(meanName);
        if (mean.shape is not [1, 3, var height, var width])
            throw new InvalidDataException($"Mean image '{meanName}' in '{path}' has shape [{string.Join(", ", mean.shape)}], expected [1, 3, H, W].");
        var channelMeans = mean.mean([0, 2, 3]).data<float>().ToArray();
        return new ImagePreprocessing((int)width, (int)height, bgr, Scale: 1f, Mean: channelMeans, Std: [1f, 1f, 1f],
            MeanImageKey: $"{PackageId}/{PreprocessingFile}#{meanName}", MeanImage: mean.data<float>().ToArray());
    }

    private sealed record Weights(
        ResNetArchitecture Architecture,
        IReadOnlyDictionary<string, (long[] Shape, float[] Values)> Tensors,
        ImagePreprocessing Preprocessing,
        string Source);
}
