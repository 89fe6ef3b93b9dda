using Onnx;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Pretrained;

/// <summary>
/// The weights of a BERT-family ONNX export (PyTorch exporter, Hugging Face module names) matched to the
/// parameter names of <see cref="Modeling.TransformerTextEncoder"/>. Biases and LayerNorm/embedding tensors keep
/// their names in the export; Linear weights do not: the exporter folds <c>x W^T</c> into a <c>MatMul</c> with a
/// pre-transposed, numbered initializer. Those are found through the graph, from the named bias that the
/// MatMul's output is added to.
/// </summary>
internal sealed class OnnxBertWeights
{
    private const string BiasSuffix = ".bias";
    private readonly OnnxInitializers onnx;
    private readonly Dictionary<string, (string OnnxName, bool Transposed)> sources = new(StringComparer.Ordinal);

    public OnnxBertWeights(OnnxInitializers onnx)
    {
        this.onnx = onnx;
        foreach (var name in onnx.Names) sources[name] = (name, false);

        var consumers = onnx.Graph.Node
            .SelectMany(node => node.Input.Select(input => (input, node)))
            .ToLookup(pair => pair.input, pair => pair.node, StringComparer.Ordinal);
        foreach (var matMul in onnx.Graph.Node.Where(n => n.OpType == "MatMul" && n.Input.Count == 2 && onnx.Contains(n.Input[1])))
        {
            var product = matMul.Output[0];
            var bias = consumers[product]
                .Where(n => n.OpType == "Add")
                .SelectMany(n => n.Input)
                .FirstOrDefault(input => input != product && input.EndsWith(BiasSuffix, StringComparison.Ordinal) && onnx.Contains(input));
            if (bias is null) continue;
            var weight = bias[..^BiasSuffix.Length] + ".weight";
            if (sources.TryGetValue(weight, out var existing) && existing.Transposed)
                throw new InvalidDataException(
                    $"ONNX model '{onnx.Source}': both '{existing.OnnxName}' and '{matMul.Input[1]}' feed the Linear whose bias is '{bias}'.");
            sources[weight] = (matMul.Input[1], true);
        }
    }

    /// <summary>Where the model came from, for error messages.</summary>
    public string Source => onnx.Source;

    /// <summary>The ONNX initializer behind a parameter name, and whether it is stored transposed; for diagnostics.</summary>
    public bool TryGetSource(string parameterName, out string onnxName, out bool transposed)
    {
        var found = sources.TryGetValue(parameterName, out var source);
        (onnxName, transposed) = source;
        return found;
    }

    /// <summary>Copies a value into every parameter of <paramref name="encoder"/>; extra tensors in the export
    /// (such as the unused pooler) are ignored.</summary>
    /// <exception cref="InvalidDataException">A parameter has no tensor in the export, or one of another shape.</exception>
    public void CopyInto(Modeling.TransformerTextEncoder encoder)
    {
        var missing = encoder.named_parameters().Select(p => p.name).Where(name => !sources.ContainsKey(name)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException(
                $"ONNX model '{Source}' has no weights for {missing.Count} parameter(s) of the encoder, e.g. {string.Join(", ", missing.Take(5))}.");

        using var noGrad = no_grad();
        foreach (var (name, parameter) in encoder.named_parameters())
        {
            using var scope = NewDisposeScope();
            var (onnxName, transposed) = sources[name];
            var value = onnx.Float32(onnxName);
            if (transposed) value = value.t();
            if (!value.shape.SequenceEqual(parameter.shape))
                throw new InvalidDataException(
                    $"ONNX model '{Source}': '{onnxName}' gives parameter '{name}' shape [{string.Join(", ", value.shape)}], " +
                    $"the encoder expects [{string.Join(", ", parameter.shape)}]; are the TransformerOptions those of this model?");
            parameter.copy_(value);
        }
    }
}
