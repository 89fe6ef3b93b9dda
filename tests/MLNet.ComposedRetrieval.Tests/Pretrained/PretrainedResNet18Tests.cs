using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;
using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Modeling;
using MLNet.ComposedRetrieval.Pretrained;
using MLNet.ComposedRetrieval.Tests.Infrastructure;
using Onnx;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Pretrained;

public class PretrainedResNet18Tests(ITestOutputHelper output)
{
    private const int ImageCount = 16;

    /// <summary>
    /// The TorchSharp backbone with weights imported from the package's ONNX file against ONNX Runtime running the
    /// package's own two graphs (preprocessing, then the network), on the same real photos resized by our path.
    /// </summary>
    [SkippableFact]
    public void MatchesOnnxRuntimeOnRealImages()
    {
        var folder = SharedData.Require("datasets/fashion-product-images/images");
        var paths = Directory.EnumerateFiles(folder, "*.jpg").Order(StringComparer.Ordinal).Take(ImageCount).ToList();
        var preprocessing = PretrainedResNet18.Preprocessing();
        var images = paths.Select(p => ImageBatch.Prepare(ImageDecoder.Decode(p), preprocessing)).ToList();

        using var scope = NewDisposeScope();
        using var backbone = PretrainedResNet18.Create();
        backbone.eval();
        var input = ImageBatch.FromImages(images, preprocessing);
        Tensor map;
        using (no_grad()) map = backbone.forward(input);
        var pooled = ResNetBackbone.Pool(map);
        Assert.Equal(new long[] { ImageCount, 512, 7, 7 }, map.shape);

        using var preprocessSession = new InferenceSession(PretrainedResNet18.FindFile(PretrainedResNet18.PreprocessingFile));
        var (networkBytes, mapOutput) = NetworkWithLayer4Output(PretrainedResNet18.FindFile(PretrainedResNet18.NetworkFile));
        using var networkSession = new InferenceSession(networkBytes);
        var pooledOutput = networkSession.OutputMetadata.Keys.Single(k => k != mapOutput);

        float preprocessDiff = 0, pooledDiff = 0, mapDiff = 0, pooledMagnitude = 0, mapMagnitude = 0;
        for (int i = 0; i < ImageCount; i++)
        {
            var rgbPlanes = RgbPlanes(images[i]);
            using var prepared = preprocessSession.Run(
                [NamedOnnxValue.CreateFromTensor(preprocessSession.InputMetadata.Keys.Single(), rgbPlanes)]);
            var reference = prepared.Single().AsTensor<float>().ToDenseTensor();
            preprocessDiff = Math.Max(preprocessDiff, MaxAbsDiff(reference.Buffer.Span, input[i]));

            using var results = networkSession.Run(
                [NamedOnnxValue.CreateFromTensor(networkSession.InputMetadata.Keys.Single(), reference)]);
            var onnxPooled = results.Single(r => r.Name == pooledOutput).AsTensor<float>().ToArray();
            var onnxMap = results.Single(r => r.Name == mapOutput).AsTensor<float>().ToArray();
            pooledDiff = Math.Max(pooledDiff, MaxAbsDiff(onnxPooled, pooled[i]));
            mapDiff = Math.Max(mapDiff, MaxAbsDiff(onnxMap, map[i]));
            pooledMagnitude = Math.Max(pooledMagnitude, onnxPooled.Max(Math.Abs));
            mapMagnitude = Math.Max(mapMagnitude, onnxMap.Max(Math.Abs));
        }

        output.WriteLine($"{ImageCount} images, 60x80 JPEG resized to 224x224 by ImageBatch.Prepare");
        output.WriteLine($"preprocessing max |diff| = {preprocessDiff:G3}");
        output.WriteLine($"pooled [512]  max |diff| = {pooledDiff:G3} (largest |value| {pooledMagnitude:G3})");
        output.WriteLine($"layer4 [512x7x7] max |diff| = {mapDiff:G3} (largest |value| {mapMagnitude:G3})");
        Assert.Equal(0f, preprocessDiff);
        Assert.True(pooledMagnitude > 0.1f, "the pooled features should not be trivially small");
        Assert.InRange(pooledDiff, 0f, 1e-3f);
        Assert.InRange(mapDiff, 0f, 1e-3f);
    }

    [Fact]
    public void GraphMapsOntoTheCntkLayoutAndCoversEveryTensor()
    {
        var mapping = CntkResNetMapping.Read(OnnxInitializers.Read(PretrainedResNet18.FindFile(PretrainedResNet18.NetworkFile)));
        Assert.Equal(ResNetArchitecture.ResNet18Cntk, mapping.Architecture);
        Assert.NotEqual(ResNetArchitecture.ResNet18, mapping.Architecture);
        // 22 convolutions, each followed by a BatchNormalization with four tensors.
        Assert.Equal(22 * 5, mapping.Names.Count);
        Assert.Equal(mapping.Names.Count, mapping.Names.Select(n => n.OnnxName).Distinct().Count());
        Assert.Contains(("conv1.weight", "Parameter91"), mapping.Names);
        Assert.Contains(("layer2.0.downsample.0.weight", "Parameter199"), mapping.Names);
        Assert.Contains(("layer1.0.conv1.weight", "Parameter86"), mapping.Names);

        using var module = new ResNetBackbone(ResNetArchitecture.ResNet18Cntk);
        var expected = module.state_dict().Keys.Where(k => !k.EndsWith("num_batches_tracked", StringComparison.Ordinal)).Order();
        Assert.Equal(expected, mapping.Names.Select(n => n.TorchName).Order());
    }

    [Fact]
    public void PreprocessingIsTheBgrMeanImageOfTheOnnxFile()
    {
        var preprocessing = PretrainedResNet18.Preprocessing();
        Assert.Same(preprocessing, PretrainedResNet18.Preprocessing());   // parsed once, cached
        Assert.Equal((224, 224, true, 1f), (preprocessing.Width, preprocessing.Height, preprocessing.Bgr, preprocessing.Scale));
        Assert.Equal([1f, 1f, 1f], preprocessing.Std);
        Assert.Equal(3 * 224 * 224, preprocessing.MeanImage!.Length);
        // Channel means B 103.06, G 115.90, R 123.15 (docs/method.md, pretrained weights).
        Assert.Equal(103.06, preprocessing.Mean[0], 0.01);
        Assert.Equal(115.90, preprocessing.Mean[1], 0.01);
        Assert.Equal(123.15, preprocessing.Mean[2], 0.01);
        Assert.Contains("ResNetPreprocess.onnx", preprocessing.Key);
    }

    [Fact]
    public void EachBackboneOwnsItsWeightsAndLayer4StrideOneGivesA14x14Map()
    {
        using var first = PretrainedResNet18.Create();
        using var second = PretrainedResNet18.Create(layer4StrideOne: true);
        var firstStem = first.state_dict()["conv1.weight"];
        var secondStem = second.state_dict()["conv1.weight"];
        Assert.True(firstStem.eq(secondStem).all().item<bool>());
        using (no_grad()) firstStem.add_(1);
        Assert.False(firstStem.eq(secondStem).all().item<bool>());

        second.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Assert.Equal(new long[] { 1, 512, 14, 14 }, second.forward(zeros(1, 3, 224, 224)).shape);
    }

    [Fact]
    public void MissingModelFilesNameThePackageAndThePath()
    {
        var empty = Directory.CreateTempSubdirectory("mlnet-cr-no-models-").FullName;
        try
        {
            var error = Assert.Throws<FileNotFoundException>(() => PretrainedResNet18.Create(modelsFolder: empty));
            Assert.Contains("Microsoft.ML.DnnImageFeaturizer.ResNet18", error.Message);
            Assert.Contains(Path.Combine(empty, "ResNet18Onnx", "ResNet18.onnx"), error.Message);
        }
        finally
        {
            Directory.Delete(empty);
        }
    }

    /// <summary>The package's network with the last ReLU (the layer4 map, input of the final average pool) added
    /// as a second graph output, so ONNX Runtime reports it too.</summary>
    private static (byte[] Model, string MapOutput) NetworkWithLayer4Output(string path)
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        var pool = model.Graph.Node.Single(n => n.OpType == "AveragePool");
        var mapName = pool.Input[0];
        model.Graph.Output.Add(new ValueInfoProto
        {
            Name = mapName,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
        });
        return (model.ToByteArray(), mapName);
    }

    /// <summary>What ML.NET's ExtractPixels feeds ResNetPreprocess.onnx: planar R, G, B on the 0-255 scale.</summary>
    private static DenseTensor RgbPlanes(RgbImage image)
    {
        int plane = image.Width * image.Height;
        var values = new float[3 * plane];
        for (int p = 0; p < plane; p++)
            for (int c = 0; c < 3; c++)
                values[c * plane + p] = image.Rgb[p * 3 + c];
        return new DenseTensor(values, [1, 3, image.Height, image.Width]);
    }

    private static float MaxAbsDiff(ReadOnlySpan<float> expected, Tensor actual)
    {
        var values = actual.contiguous().data<float>().ToArray();
        Assert.Equal(expected.Length, values.Length);
        float max = 0;
        for (int i = 0; i < values.Length; i++) max = Math.Max(max, Math.Abs(expected[i] - values[i]));
        return max;
    }
}
