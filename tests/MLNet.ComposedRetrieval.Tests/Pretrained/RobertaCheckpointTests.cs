using System.Text;
using System.Text.Json;
using MLNet.ComposedRetrieval.Modeling;
using MLNet.ComposedRetrieval.Pretrained;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Tests.Pretrained;

/// <summary>RoBERTa from a checkpoint through <see cref="ModuleCheckpoint"/>, on a tiny RoBERTa over the
/// Fixtures/roberta-bpe vocabulary.</summary>
public sealed class RobertaCheckpointTests : IDisposable
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures", "roberta-bpe");
    private static readonly string Vocabulary = Path.Combine(Fixtures, "vocab.json");
    private static readonly string Merges = Path.Combine(Fixtures, "merges.txt");

    private static readonly TransformerOptions Tiny = TransformerOptions.RobertaBase with
    {
        VocabularySize = 27, HiddenSize = 8, LayerCount = 2, HeadCount = 2, IntermediateSize = 16, MaxPositions = 20,
    };

    private readonly string folder = Directory.CreateTempSubdirectory("roberta-checkpoint-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static TransformerTextEncoder CreateRandom()
    {
        manual_seed(11);
        var encoder = new TransformerTextEncoder(Tiny, RobertaTextTokenizer.FromFiles(Vocabulary, Merges));
        encoder.eval();
        return encoder;
    }

    private static Tensor Encode(TransformerTextEncoder encoder)
    {
        var batch = MLNet.ComposedRetrieval.Data.TokenBatch.Encode(encoder.Tokenizer, ["hello world", "held, Hé"], 16);
        using var noGrad = no_grad();
        return encoder.forward(batch.Ids, batch.Mask);
    }

    [Fact]
    public void SavedEncoderLoadsBackIdentically()
    {
        using var original = CreateRandom();
        var path = Path.Combine(folder, "roberta.bin");
        ModuleCheckpoint.Save(original, path);

        using var loaded = Roberta.FromCheckpoint(path, Vocabulary, Merges, options: Tiny);
        Assert.False(loaded.training);
        Assert.Equal(SentencePooling.FirstToken, loaded.Options.Pooling);
        using var expected = Encode(original);
        using var actual = Encode(loaded);
        Assert.True(expected.allclose(actual, rtol: 0, atol: 0));
    }

    [Fact]
    public void AHuggingFaceShapedSafetensorsLoads()
    {
        using var original = CreateRandom();
        var path = Path.Combine(folder, "model.safetensors");
        // As in roberta-base's download: encoder under "roberta.", plus its pooler, position-id buffer and MLM head.
        var state = original.state_dict().ToDictionary(kv => Roberta.HuggingFaceKeyPrefix + kv.Key, kv => kv.Value);
        state["roberta.pooler.dense.weight"] = randn(8, 8);
        state["roberta.pooler.dense.bias"] = zeros(8);
        state["roberta.embeddings.position_ids"] = arange(20, dtype: ScalarType.Int64).unsqueeze(0);
        state["lm_head.bias"] = zeros(27);
        WriteSafetensors(path, state);

        using var loaded = Roberta.FromCheckpoint(path, Vocabulary, Merges, Roberta.HuggingFaceKeyPrefix, Tiny);
        foreach (var (name, value) in original.state_dict())
            Assert.True(value.allclose(loaded.state_dict()[name], rtol: 0, atol: 0), name);
    }

    [Fact]
    public void AMissingWeightIsNamed()
    {
        using var original = CreateRandom();
        var path = Path.Combine(folder, "partial.safetensors");
        const string dropped = "encoder.layer.1.output.LayerNorm.bias";
        WriteSafetensors(path, original.state_dict().Where(kv => kv.Key != dropped).ToDictionary());

        var error = Assert.Throws<InvalidDataException>(() => Roberta.FromCheckpoint(path, Vocabulary, Merges, options: Tiny));
        Assert.Contains(dropped, error.Message);
    }

    [Fact]
    public void AWeightTheEncoderLacksIsNamed()
    {
        using var original = CreateRandom();
        var path = Path.Combine(folder, "deeper.safetensors");
        const string extra = "encoder.layer.2.output.dense.bias"; // a third layer where the options say two
        var state = original.state_dict().ToDictionary();
        state[extra] = zeros(8);
        WriteSafetensors(path, state);

        var error = Assert.Throws<InvalidDataException>(() => Roberta.FromCheckpoint(path, Vocabulary, Merges, options: Tiny));
        Assert.Contains(extra, error.Message);
    }

    /// <summary>An independent safetensors writer (8-byte header size, JSON header, raw little-endian data).</summary>
    private static void WriteSafetensors(string path, IReadOnlyDictionary<string, Tensor> tensors)
    {
        var header = new Dictionary<string, object>();
        using var data = new MemoryStream();
        foreach (var (name, tensor) in tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var bytes = tensor.contiguous().bytes.ToArray();
            var dtype = tensor.dtype switch
            {
                ScalarType.Float32 => "F32",
                ScalarType.Int64 => "I64",
                var other => throw new NotSupportedException(other.ToString()),
            };
            header[name] = new { dtype, shape = tensor.shape, data_offsets = new[] { data.Length, data.Length + bytes.Length } };
            data.Write(bytes);
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        var padded = json.Concat(Enumerable.Repeat((byte)' ', (8 - json.Length % 8) % 8)).ToArray();
        using var file = File.Create(path);
        file.Write(BitConverter.GetBytes((ulong)padded.Length));
        file.Write(padded);
        data.WriteTo(file);
    }
}
