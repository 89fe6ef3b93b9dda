using Google.Protobuf;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Pretrained;

/// <summary>
/// The named constant tensors of an ONNX model (graph initializers and the outputs of <c>Constant</c> nodes,
/// where CNTK exports keep BatchNorm statistics), read with OnnxSharp's generated protobuf types. Pretrained
/// importers map these names onto TorchSharp parameters.
/// </summary>
internal sealed class OnnxInitializers
{
    private readonly Dictionary<string, TensorProto> _byName;

    private OnnxInitializers(ModelProto model, string source)
    {
        Source = source;
        Graph = model.Graph;
        _byName = model.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var node in model.Graph.Node.Where(n => n.OpType == "Constant" && n.Output.Count == 1))
        {
            var value = node.Attribute.FirstOrDefault(a => a.Name == "value")?.T;
            if (value is not null) _byName[node.Output[0]] = value;
        }
    }

    /// <summary>Where the model came from (a path or a resource name), for error messages.</summary>
    public string Source { get; }

    /// <summary>The model's graph, for importers that need node attributes (strides, pads, epsilon).</summary>
    public GraphProto Graph { get; }

    public IEnumerable<string> Names => _byName.Keys;

    public static OnnxInitializers Read(Stream stream, string source)
    {
        try
        {
            return new OnnxInitializers(ModelProto.Parser.ParseFrom(stream), source);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"'{source}' is not a readable ONNX model: {e.Message}", e);
        }
    }

    public static OnnxInitializers Read(string path)
    {
        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The initializer as a float32 CPU tensor of its stored shape.</summary>
    public Tensor Float32(string name)
    {
        var proto = Get(name);
        var shape = proto.Dims.ToArray();
        float[] values = (TensorProto.Types.DataType)proto.DataType switch
        {
            TensorProto.Types.DataType.Float when proto.RawData.Length > 0 =>
                System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(proto.RawData.Span).ToArray(),
            TensorProto.Types.DataType.Float => proto.FloatData.ToArray(),
            var other => throw new InvalidDataException(
                $"Initializer '{name}' in '{Source}' is {other}, expected Float."),
        };
        long expected = shape.Aggregate(1L, (a, b) => a * b);
        if (values.Length != expected)
            throw new InvalidDataException(
                $"Initializer '{name}' in '{Source}' holds {values.Length} values for shape [{string.Join(", ", shape)}].");
        return tensor(values, shape);
    }

    private TensorProto Get(string name) =>
        _byName.TryGetValue(name, out var proto)
            ? proto
            : throw new KeyNotFoundException($"ONNX model '{Source}' has no initializer named '{name}'.");
}
