using MLNet.ComposedRetrieval.Modeling;
using Onnx;

namespace MLNet.ComposedRetrieval.Pretrained;

/// <summary>
/// Reads the layout of a ResNet exported from CNTK to ONNX (as in <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>,
/// whose tensors are named only <c>ParameterNN</c>/<c>ConstantNN</c>) by walking its graph, and names each of those
/// tensors the way torchvision's ResNet does. Each residual <c>Add</c> is one block: of its two inputs, the path
/// with 2 (basic) or 3 (bottleneck) Conv+BatchNormalization pairs back to the block input is the main branch, a
/// path with one pair is the <c>downsample</c> shortcut, none is the identity. A block with a downsample starts a
/// new stage (layer1 starts with the first block).
/// </summary>
/// <remarks>
/// The export writes some paddings asymmetrically (stem conv [3,3,2,2], max-pool and strided 3x3 convs
/// [1,1,0,0]); with input sides that are multiples of 32 (e.g. 224) every strided layer sees an even size and
/// these select exactly the windows of torchvision's symmetric padding, so the mapped module computes the same.
/// </remarks>
internal sealed class CntkResNetMapping
{
    private const double TorchBatchNormEpsilon = 1e-5;

    private readonly Dictionary<string, NodeProto> _producers;
    private readonly IReadOnlyList<NodeProto> _nodes;
    private readonly string _source;
    private readonly List<(string TorchName, string OnnxName)> _names = [];

    private CntkResNetMapping(GraphProto graph, string source)
    {
        _source = source;
        _nodes = graph.Node;
        _producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
            foreach (var output in node.Output)
                _producers[output] = node;

        var initializers = graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var input = graph.Input.Select(i => i.Name).FirstOrDefault(n => !initializers.Contains(n))
            ?? throw Error("the graph has no data input");
        var stemPool = graph.Node.FirstOrDefault(n => n.OpType == "MaxPool") ?? throw Error("no MaxPool after the stem");
        AddPairs("", ["conv1"], ["bn1"], Trace(stemPool.Input[0], input), expectedStrides: [2]);

        var blockInput = stemPool.Output[0];
        var blocksPerStage = new List<int>();
        ResNetBlockKind? kind = null;
        foreach (var add in graph.Node.Where(n => n.OpType == "Add"))
        {
            var paths = add.Input.Select(i => Trace(i, blockInput)).OrderByDescending(p => p.Count).ToList();
            if (paths.Count != 2) throw Error($"residual Add '{add.Name}' has {paths.Count} inputs, expected 2");
            var (main, shortcut) = (paths[0], paths[1]);
            var blockKind = main.Count switch
            {
                2 => ResNetBlockKind.Basic,
                3 => ResNetBlockKind.Bottleneck,
                _ => throw Error($"residual block ending in '{add.Name}' has {main.Count} convolutions, expected 2 or 3"),
            };
            if (kind is not null && kind != blockKind) throw Error($"block '{add.Name}' mixes basic and bottleneck blocks");
            kind = blockKind;
            if (shortcut.Count > 1) throw Error($"the shortcut of block '{add.Name}' has {shortcut.Count} convolutions, expected 0 or 1");

            if (blocksPerStage.Count == 0 || shortcut.Count == 1) blocksPerStage.Add(0);
            int stage = blocksPerStage.Count, index = blocksPerStage[^1]++;
            int stride = stage > 1 && index == 0 ? 2 : 1;
            var prefix = $"layer{stage}.{index}.";
            // torchvision strides the first conv of a basic block and the 3x3 conv2 of a bottleneck ("v1.5").
            int[] strides = blockKind == ResNetBlockKind.Basic ? [stride, 1] : [1, stride, 1];
            string[] convs = blockKind == ResNetBlockKind.Basic ? ["conv1", "conv2"] : ["conv1", "conv2", "conv3"];
            AddPairs(prefix, convs, convs.Select(c => "bn" + c[^1]).ToArray(), main, strides);
            if (shortcut.Count == 1) AddPairs(prefix, ["downsample.0"], ["downsample.1"], shortcut, [stride]);

            blockInput = Consumer(add.Output[0], "Relu").Output[0];
        }
        if (blocksPerStage.Count != 4 || kind is null)
            throw Error($"found {blocksPerStage.Count} stages, expected 4");
        Architecture = new ResNetArchitecture(kind.Value, blocksPerStage);
    }

    /// <summary>The torchvision layout found (layer4 stride 2, as exported).</summary>
    public ResNetArchitecture Architecture { get; }

    /// <summary>torchvision state-dict key and the ONNX tensor that holds its value, in graph order.</summary>
    public IReadOnlyList<(string TorchName, string OnnxName)> Names => _names;

    /// <exception cref="InvalidDataException">The graph is not a ResNet this mapping understands; says where.</exception>
    public static CntkResNetMapping Read(OnnxInitializers model) => new(model.Graph, model.Source);

    /// <summary>Conv+BatchNormalization pairs on the path from <paramref name="tensor"/> back to <paramref name="stop"/>,
    /// in forward order, stepping over the ReLUs between them.</summary>
    private List<(NodeProto Conv, NodeProto Norm)> Trace(string tensor, string stop)
    {
        var pairs = new List<(NodeProto, NodeProto)>();
        while (tensor != stop)
        {
            var node = _producers.GetValueOrDefault(tensor) ?? throw Error($"'{tensor}' does not lead back to '{stop}'");
            switch (node.OpType)
            {
                case "Relu":
                    tensor = node.Input[0];
                    break;
                case "BatchNormalization":
                    var conv = _producers.GetValueOrDefault(node.Input[0]);
                    if (conv?.OpType != "Conv") throw Error($"BatchNormalization '{node.Name}' does not follow a Conv");
                    pairs.Insert(0, (conv, node));
                    tensor = conv.Input[0];
                    break;
                default:
                    throw Error($"unexpected {node.OpType} '{node.Name}' between '{tensor}' and '{stop}'");
            }
        }
        return pairs;
    }

    private void AddPairs(string prefix, string[] convNames, string[] normNames,
        List<(NodeProto Conv, NodeProto Norm)> pairs, int[] expectedStrides)
    {
        if (pairs.Count != convNames.Length)
            throw Error($"'{prefix}' has {pairs.Count} convolutions, expected {convNames.Length}");
        for (int i = 0; i < pairs.Count; i++)
        {
            var (conv, norm) = pairs[i];
            CheckConv(conv, expectedStrides[i], prefix + convNames[i]);
            CheckNorm(norm, prefix + normNames[i]);
            _names.Add((prefix + convNames[i] + ".weight", conv.Input[1]));
            string bn = prefix + normNames[i];
            _names.Add((bn + ".weight", norm.Input[1]));
            _names.Add((bn + ".bias", norm.Input[2]));
            _names.Add((bn + ".running_mean", norm.Input[3]));
            _names.Add((bn + ".running_var", norm.Input[4]));
        }
    }

    private void CheckConv(NodeProto conv, int stride, string torchName)
    {
        if (conv.Input.Count != 2) throw Error($"Conv '{conv.Name}' ({torchName}) has a bias; torchvision's convs have none");
        if (conv.Attribute.FirstOrDefault(a => a.Name == "group") is { I: not 1 }) throw Error($"Conv '{conv.Name}' is grouped");
        if (Ints(conv, "dilations") is { Length: > 0 } dilations && dilations.Any(d => d != 1)) throw Error($"Conv '{conv.Name}' is dilated");
        var strides = Ints(conv, "strides");
        if (strides.Length != 2 || strides.Any(s => s != stride))
            throw Error($"Conv '{conv.Name}' ({torchName}) has strides [{string.Join(",", strides)}], torchvision uses {stride}");
    }

    private void CheckNorm(NodeProto norm, string torchName)
    {
        if (norm.Input.Count != 5) throw Error($"BatchNormalization '{norm.Name}' ({torchName}) has {norm.Input.Count} inputs, expected 5");
        var epsilon = norm.Attribute.FirstOrDefault(a => a.Name == "epsilon")?.F ?? 1e-5f;
        if (Math.Abs(epsilon - TorchBatchNormEpsilon) > 1e-9)
            throw Error($"BatchNormalization '{norm.Name}' ({torchName}) has epsilon {epsilon}, torchvision's BatchNorm2d uses 1e-5");
    }

    private NodeProto Consumer(string tensor, string opType) =>
        _nodes.FirstOrDefault(n => n.OpType == opType && n.Input.Contains(tensor))
        ?? throw Error($"no {opType} follows '{tensor}'");

    private static long[] Ints(NodeProto node, string attribute) =>
        node.Attribute.FirstOrDefault(a => a.Name == attribute)?.Ints.ToArray() ?? [];

    private InvalidDataException Error(string problem) =>
        new($"'{_source}' is not a ResNet graph this importer understands: {problem}.");
}
