// Composed image retrieval on the Fashion Product Images catalogue, the ML.NET way: load the TSVs, load the images,
// train ComposeImageText (pretrained ResNet-18 and MiniLM, frozen), measure Recall@K, save, load, and answer one query.
using System.Diagnostics;
using FashionProductSearch;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.ComposedRetrieval;

SampleOptions options;
try
{
    options = SampleOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine("Usage: FashionProductSearch [dataset-folder] [--train-triplets N] [--epochs N] [--queries N] [--gallery N] [--output folder]");
    return 2;
}

var dataset = options.Dataset;
string[] required = ["triplets.train.tsv", "queries.val.tsv", "split.val.tsv", "styles.csv", "images"];
var missing = required.Where(name => !File.Exists(Path.Combine(dataset, name)) && !Directory.Exists(Path.Combine(dataset, name))).ToList();
if (missing.Count > 0)
{
    Console.Error.WriteLine($"The Fashion Product Images dataset was not found at '{dataset}' (missing: {string.Join(", ", missing)}).");
    Console.Error.WriteLine("Pass its folder as the first argument, for example:");
    Console.Error.WriteLine("  dotnet run -c Release --project samples/FashionProductSearch -- /path/to/fashion-product-images");
    Console.Error.WriteLine($"(by default it is looked for at {SampleOptions.DefaultDataset}, relative to the repository root).");
    return 2;
}
var imageFolder = Path.Combine(dataset, "images");
Directory.CreateDirectory(options.Output);
var clock = Stopwatch.StartNew();
void Step(string what) => Console.WriteLine($"[{clock.Elapsed:mm\\:ss}] {what}");

var ml = new MLContext(seed: 1);
// The component reports through MLContext.Log like ML.NET's own trainers; show its informational messages.
ml.Log += (_, e) =>
{
    if (e.Message.Contains("Source=ComposeImageText") && (e.Message.Contains("Kind=Info") || e.Message.Contains("Kind=Warning")))
        Console.WriteLine("    " + e.Message[(e.Message.IndexOf(']') + 2)..]);
};

// 1. Data: the TSVs through ml.Data; images are loaded by the pipeline.
Step($"Loading the data from {dataset}");
var allTriplets = ml.Data.LoadFromTextFile<TripletRow>(Path.Combine(dataset, "triplets.train.tsv"), separatorChar: '\t', hasHeader: true);
var triplets = ml.Data.TakeRows(ml.Data.ShuffleRows(allTriplets, seed: 1, shufflePoolSize: 200_000), options.TrainTriplets);
var queries = ml.Data.LoadFromTextFile<QueryRow>(Path.Combine(dataset, "queries.val.tsv"), separatorChar: '\t', hasHeader: true);
if (options.Queries is int queryCount) queries = ml.Data.TakeRows(queries, queryCount);
var galleryIds = ml.Transforms.CustomMapping<SplitRow, GalleryIdRow>((split, gallery) => gallery.ImageId = split.ProductId + ".jpg", contractName: null);
var splitVal = ml.Data.LoadFromTextFile<SplitRow>(Path.Combine(dataset, "split.val.tsv"), separatorChar: '\t', hasHeader: true);
var gallery = galleryIds.Fit(splitVal).Transform(splitVal);
if (options.Gallery is int gallerySize)
{
    // A smaller gallery for quick runs: the selected queries' own images plus the first images of the split.
    var needed = ml.Data.CreateEnumerable<QueryRow>(queries, reuseRowObject: false)
        .SelectMany(q => q.TargetImages.Split(';').Append(q.ReferencePath)).ToHashSet();
    var kept = needed.Concat(ml.Data.CreateEnumerable<GalleryIdRow>(gallery, reuseRowObject: false).Select(r => r.ImageId)
        .Where(id => !needed.Contains(id)).Take(Math.Max(0, gallerySize - needed.Count))).ToHashSet();
    gallery = ml.Data.FilterByCustomPredicate<GalleryIdRow>(gallery, row => !kept.Contains(row.ImageId));
}

// 2. The pipeline: LoadImages, then ComposeImageText with the pretrained, frozen encoders (features cached on disk).
var composeOptions = new ComposeImageTextEstimator.Options
{
    ReferenceImageColumnName = "ReferenceImage",
    TextColumnName = "ModificationText",
    TargetImageColumnName = "TargetImage",
    OutputColumnName = "QueryEmbedding",
    ImageEncoder = ImageEncoderArchitecture.ResNet18,
    TextEncoder = TextEncoderArchitecture.MiniLM,
    Epochs = options.Epochs,
    Loss = LossVariant.Uncertainty,
    Seed = 1,
    FeatureCacheFolder = Path.Combine(options.Output, "feature-cache"),
};
var pipeline = ml.Transforms.LoadImages("ReferenceImage", imageFolder, "ReferencePath")
    .Append(ml.Transforms.LoadImages("TargetImage", imageFolder, "TargetPath"))
    .Append(ml.Transforms.ComposeImageText(composeOptions));

// 3. Fit.
Step($"Training on {options.TrainTriplets} triplets for {options.Epochs} epoch{(options.Epochs == 1 ? "" : "s")}");
var trained = pipeline.Fit(triplets);
var model = trained.LastTransformer;

// 4. Recall@K through the catalog extension: embed the queries and the gallery, then evaluate.
Step("Embedding the validation gallery and queries");
var loadQueryImages = ml.Transforms.LoadImages("ReferenceImage", imageFolder, "ReferencePath").Fit(queries);
var embeddedQueries = model.Transform(loadQueryImages.Transform(queries));
var embedGallery = ml.Transforms.LoadImages("Image", imageFolder, "ImageId")
    .Append(ml.Transforms.EmbedGalleryImages(model, outputColumnName: "ImageEmbedding", inputColumnName: "Image"));
var embeddedGallery = ml.Data.Cache(embedGallery.Fit(gallery).Transform(gallery), "ImageId", "ImageEmbedding");
var metrics = ml.Ranking.EvaluateRecallAtK(embeddedQueries, embeddedGallery,
    targetImageIdsColumnName: "TargetImages", referenceImageIdColumnName: "ReferencePath",
    queryEmbeddingColumnName: "QueryEmbedding", galleryImageIdColumnName: "ImageId", galleryEmbeddingColumnName: "ImageEmbedding",
    ks: [1, 10, 50]);
Step($"Recall@K: {metrics}");

// 5. Save and load (ML.NET's model zip cannot hold this transformer; it has its own one-file format).
var modelPath = Path.Combine(options.Output, "fashion-product-search.mlcr");
model.Save(modelPath);
Step($"Saved the model to {modelPath} ({new FileInfo(modelPath).Length / 1e6:F1} MB)");
using var loaded = ml.Model.LoadComposeImageText(modelPath);

// 6. One query with the loaded model: a reference product and a modification text, top 5 with their titles.
var titles = ProductTitles.Read(Path.Combine(dataset, "styles.csv"));
var query = ml.Data.CreateEnumerable<QueryRow>(queries, reuseRowObject: false).First();
var oneQuery = loadQueryImages.Transform(ml.Data.LoadFromEnumerable([query]));
var identical = Embedding(model.Transform(oneQuery)).SequenceEqual(Embedding(loaded.Transform(oneQuery)));
Step($"The loaded model's query embedding is {(identical ? "bit-identical to" : "DIFFERENT from")} the trained model's");

using var search = loaded.CreateSearchEngineFromEmbeddings(embeddedGallery, "ImageId", "ImageEmbedding");
var results = search.Search(Path.Combine(imageFolder, query.ReferencePath), query.ModificationText, k: 5, excludedImageId: query.ReferencePath);
var targets = query.TargetImages.Split(';').ToHashSet();
Console.WriteLine();
Console.WriteLine($"Query: {query.ReferencePath} \"{Title(query.ReferencePath)}\" + \"{query.ModificationText}\"");
Console.WriteLine($"Expected: {string.Join("; ", targets.Select(t => $"{t} \"{Title(t)}\""))}");
Console.WriteLine($"Top 5 of {search.Count} gallery images:");
for (int rank = 0; rank < results.Count; rank++)
{
    var hit = results[rank];
    Console.WriteLine($"  {rank + 1}. {hit.ImageId,-10} {hit.Score,6:F2}  {Title(hit.ImageId)}{(targets.Contains(hit.ImageId) ? "   <- target" : "")}");
}
Step("Done");
model.Dispose();
return 0;

string Title(string imageId) => titles.TryGetValue(imageId, out var title) ? title : "(no title)";

static float[] Embedding(IDataView view) =>
    view.GetColumn<float[]>("QueryEmbedding").Single();
