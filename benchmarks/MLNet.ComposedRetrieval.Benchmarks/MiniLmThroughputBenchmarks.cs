using BenchmarkDotNet.Attributes;
using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Modeling;
using MLNet.ComposedRetrieval.Pretrained;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Benchmarks;

/// <summary>
/// Sentence features per second from the imported MiniLM-L6 on CPU, in inference mode, tokenisation and padding
/// included: texts/s = BatchSize / Mean. The captions are modification texts written in FashionIQ's style and
/// length (about 5 words, 7-12 tokens with [CLS]/[SEP]; the dataset itself may not be copied here).
/// <code>dotnet run -c Release --project benchmarks/MLNet.ComposedRetrieval.Benchmarks -- --filter '*MiniLm*' --job short</code>
/// </summary>
/// <remarks>
/// On a machine whose cores are busy with other work, libtorch's OpenMP threads spin while waiting and a
/// forward pass can take 20 times longer; <c>OMP_WAIT_POLICY=PASSIVE</c> in the environment avoids that, and
/// <see cref="TorchThreads"/> = 1 is the figure least sensitive to it.
/// </remarks>
[MemoryDiagnoser(displayGenColumns: false)]
public class MiniLmThroughputBenchmarks
{
    private static readonly string[] Captions =
    [
        "is darker and has longer sleeves", "is red with a v-neck", "shorter and more fitted",
        "has a floral print and no sleeves", "is blue, not black", "is a lighter shade of grey",
        "has thin straps and a lower neckline", "is longer with 3/4 sleeves", "more casual and looser",
        "has a graphic logo on the front", "is striped and less formal", "is solid white with buttons",
        "has a belt at the waist", "is a tank top in pink", "has lace trim and is shorter",
        "is one-shouldered and purple", "is plaid with a collar", "has a zipper and a hood",
        "is sleeveless and more colourful", "is black with gold accents", "has ruffles on the hem",
        "is a maxi dress in green", "is tighter and has a slit", "has polka dots and is brighter",
        "is off the shoulder", "has a round neck and short sleeves", "is denim and button-down",
        "is less revealing and darker", "has a cartoon character", "is knit and cream coloured",
        "is sheer with a high neck", "has pockets and is navy",
    ];

    private TransformerTextEncoder encoder = null!;
    private string[] batch = [];

    /// <summary>Sentences per forward pass.</summary>
    [Params(1, 32)]
    public int BatchSize { get; set; }

    /// <summary>libtorch's intra-op threads.</summary>
    [Params(1, 2)]
    public int TorchThreads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(TorchThreads);
        encoder = MiniLm.Create();
        batch = Captions.Take(BatchSize).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup() => encoder.Dispose();

    /// <summary>Tokenise, pad, encode and mean-pool one batch.</summary>
    [Benchmark]
    public float EncodeBatch()
    {
        using var inference = inference_mode(true);
        using var scope = NewDisposeScope();
        var tokens = TokenBatch.Encode(encoder.Tokenizer, batch, MiniLm.TrainedMaxLength);
        return encoder.forward(tokens.Ids, tokens.Mask).sum().item<float>();
    }

    /// <summary>Tokenisation and padding alone, to show its share.</summary>
    [Benchmark]
    public long TokenizeBatch()
    {
        var tokens = TokenBatch.Encode(encoder.Tokenizer, batch, MiniLm.TrainedMaxLength);
        return tokens.Ids.shape[1];
    }
}
