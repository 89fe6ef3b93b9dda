using System.Globalization;

namespace FashionProductSearch;

/// <summary>Command line: <c>[dataset-folder] [--train-triplets N] [--epochs N] [--queries N] [--gallery N] [--output folder]</c>.</summary>
internal sealed record SampleOptions(string Dataset, int TrainTriplets, int Epochs, int? Queries, int? Gallery, string Output)
{
    public const string DefaultDataset = "../shared/datasets/fashion-product-images";

    public static SampleOptions Parse(string[] args)
    {
        string? dataset = null, output = null;
        int trainTriplets = 1000, epochs = 4;
        int? queries = null, gallery = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int NextInt() => int.Parse(Next(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--train-triplets": trainTriplets = NextInt(); break;
                case "--epochs": epochs = NextInt(); break;
                case "--queries": queries = NextInt(); break;
                case "--gallery": gallery = NextInt(); break;
                case "--output": output = Next(); break;
                case var a when a.StartsWith("--", StringComparison.Ordinal): throw new ArgumentException($"Unknown option {a}.");
                default: dataset = args[i]; break;
            }
        }
        return new SampleOptions(dataset ?? FindDefaultDataset(), trainTriplets, epochs, queries, gallery,
            output ?? Path.Combine(Path.GetTempPath(), "FashionProductSearch"));
    }

    /// <summary>The default dataset folder, relative to the current folder or else to the repository root above the app.</summary>
    private static string FindDefaultDataset()
    {
        if (Directory.Exists(DefaultDataset)) return Path.GetFullPath(DefaultDataset);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MLNet.ComposedRetrieval.sln")))
                return Path.GetFullPath(Path.Combine(dir.FullName, DefaultDataset));
        return Path.GetFullPath(DefaultDataset);
    }
}
