using MLNet.ComposedRetrieval.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Benchmarks.Harness;

/// <summary>
/// The frozen-backbone training step written directly against libtorch, as one would without the library: the same
/// maths as <c>ComposedRetrievalTrainer</c> (docs/method.md: text projection, CoSMo compositor, shared head, InfoNCE and
/// the uncertainty term with gamma) as plain functional calls on the network's own parameter tensors, float32
/// inputs already in memory, one dispose scope, torch's SGD. The library's step minus this one is the library's
/// overhead (data path, module wrappers, checks, logging).
/// </summary>
internal sealed class BareTrainingStep : IDisposable
{
    private const int Heads = 8;
    private const double NormScale = 4;
    private readonly Dictionary<string, Tensor> _p;
    private readonly Dictionary<string, Tensor> _buffers;
    private readonly optim.Optimizer _sgd;

    /// <param name="network">A network without encoders (frozen-backbone mode); its parameters are used and updated.</param>
    public BareTrainingStep(ComposedRetrievalNetwork network, double learningRate)
    {
        _p = network.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        _buffers = network.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        _sgd = optim.SGD(network.parameters(), learningRate, momentum: 0.9, weight_decay: 5e-5);
    }

    /// <summary>One step: loss, backward, SGD update; returns the loss.</summary>
    public float Step(Tensor referenceMaps, Tensor targetMaps, Tensor textFeatures, Generator noise, double gamma)
    {
        using var scope = NewDisposeScope();
        var loss = Loss(referenceMaps, targetMaps, textFeatures, noise, gamma);
        _sgd.zero_grad();
        loss.backward();
        _sgd.step();
        return loss.item<float>();
    }

    /// <summary>The step's loss (docs/method.md "Total"), noise drawn from <paramref name="noise"/> as the library's noise source does.</summary>
    public Tensor Loss(Tensor referenceMaps, Tensor targetMaps, Tensor textFeatures, Generator noise, double gamma)
    {
        var text = nn.functional.linear(
            nn.functional.batch_norm(textFeatures, _buffers["text_projection.norm.running_mean"], _buffers["text_projection.norm.running_var"],
                _p["text_projection.norm.weight"], _p["text_projection.norm.bias"], training: true),
            _p["text_projection.linear.weight"], _p["text_projection.linear.bias"]);
        var query = Head(Compose(referenceMaps, text));
        var target = Head(targetMaps);

        var labels = arange(query.shape[0], dtype: ScalarType.Int64);
        var info = nn.functional.cross_entropy(query.matmul(target.t()), labels);
        Tensor mean, std;
        using (no_grad())
        {
            mean = target.mean([1], keepdim: true);
            std = target.std(1, unbiased: true, keepdim: true);
        }
        var alpha = 1.0 + std * randn(target.shape, generator: noise);
        var beta = mean + std * randn(target.shape, generator: noise);
        var whitened = (target - target.mean([1], keepdim: true)) / (target.var(1, unbiased: false, keepdim: true) + 1e-5).sqrt();
        var augmented = alpha * whitened + beta;
        var sigma = augmented.std(unbiased: true);
        var uncertainty = 0.5 * (exp(-sigma) * nn.functional.cross_entropy(query.matmul(augmented.t()), labels) + sigma);
        return gamma * uncertainty + (1 - gamma) * info;
    }

    private Tensor Compose(Tensor x, Tensor t)
    {
        var normalized = nn.functional.instance_norm(x, eps: 1e-5);
        var weights = _p["compositor.residual_weights"];
        var content1 = normalized + weights[0] * Attention("compositor.attention1.", normalized, t);
        var content2 = content1 + weights[1] * Attention("compositor.attention2.", content1, t);

        var detached = x.detach();
        var (mean, std) = (detached.mean([2, 3], keepdim: true), detached.std([2, 3], unbiased: false, keepdim: true));
        var scale = Math.Sqrt(2.0 / t.shape[1]);
        var channels = x.shape[1];
        var gates = nn.functional.linear(t, _p["compositor.style.gate.weight"] * scale, _p["compositor.style.gate.bias"]).sigmoid().view(t.shape[0], 2 * channels, 1, 1);
        var style = nn.functional.linear(t, _p["compositor.style.transform.weight"] * scale, _p["compositor.style.transform.bias"]).view(t.shape[0], 2 * channels, 1, 1);
        var c = (int)channels;
        return (gates[.., ..c] * std + style[.., ..c]) * content2 + (gates[.., c..] * mean + style[.., c..]);
    }

    private Tensor Attention(string prefix, Tensor x, Tensor t)
    {
        var (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
        var scale = 1.0 / Math.Sqrt(c / Heads);
        Tensor Split(Tensor map) => map.reshape(b, Heads, -1, h * w);

        var tiled = t.view(b, -1, 1, 1).expand(-1, -1, h, w);
        var values = Split(nn.functional.conv2d(nn.functional.conv2d(cat([x, tiled], 1), _p[prefix + "merge.weight"]), _p[prefix + "value.weight"]));
        var queries = Split(nn.functional.conv2d(x, _p[prefix + "query.weight"]));
        var keys = Split(nn.functional.conv2d(x, _p[prefix + "key.weight"]));
        var self = (queries.transpose(2, 3).matmul(keys) * scale).softmax(-1);
        var mappedText = nn.functional.linear(t, _p[prefix + "text.weight"], _p[prefix + "text.bias"]).view(b, Heads, -1, 1);
        var textMap = (Split(x).transpose(2, 3).matmul(mappedText) * scale).softmax(2).transpose(2, 3);
        var attended = values.matmul((self + textMap).transpose(2, 3));
        return nn.functional.conv2d(attended.reshape(b, c, h, w), _p[prefix + "output.weight"], _p[prefix + "output.bias"]);
    }

    private Tensor Head(Tensor map)
    {
        var projected = nn.functional.linear(map.mean([2, 3]), _p["image_head.projection.weight"], _p["image_head.projection.bias"]);
        return nn.functional.normalize(projected, p: 2, dim: 1) * NormScale;
    }

    public void Dispose() => _sgd.Dispose();
}
