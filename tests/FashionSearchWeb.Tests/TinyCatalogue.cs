using Microsoft.ML;
using MLNet.ComposedRetrieval;
using SkiaSharp;

namespace FashionSearchWeb.Tests;

/// <summary>
/// A catalogue made in the test: 18 small JPEG products (6 colours x 3 shapes) with titles in a styles.csv, a val query
/// file, and a tiny model (small encoders, 32-d embeddings) trained on "replace red with blue" triplets in about a
/// second and saved as a model file. Nothing from ../shared is needed.
/// </summary>
public sealed class TinyCatalogue : IDisposable
{
    public static readonly string[] Colours = ["red", "green", "blue", "yellow", "black", "white"];
    public static readonly string[] Shapes = ["square", "circle", "stripe"];

    private static readonly SKColor[] Paints = [SKColors.Red, SKColors.Green, SKColors.Blue, SKColors.Yellow, SKColors.Black, SKColors.White];

    public TinyCatalogue()
    {
        Root = Directory.CreateTempSubdirectory("fashion-search-web-tests-").FullName;
        Images = Directory.CreateDirectory(Path.Combine(Root, "images")).FullName;
        var styles = new List<string> { "id,gender,masterCategory,subCategory,articleType,baseColour,season,year,usage,productDisplayName" };
        for (int s = 0; s < Shapes.Length; s++)
            for (int c = 0; c < Colours.Length; c++)
            {
                var id = Id(c, s);
                File.WriteAllBytes(Path.Combine(Images, id + ".jpg"), Jpeg(c, s));
                styles.Add($"{id},Unisex,Apparel,Topwear,Tshirts,{Colours[c]},Summer,2020,Casual,{Title(c, s)}");
            }
        Titles = Path.Combine(Root, "styles.csv");
        File.WriteAllLines(Titles, styles);
        Queries = Path.Combine(Root, "queries.val.tsv");
        File.WriteAllLines(Queries, ["reference_image\tmodification_text\ttarget_images", $"{Id(0, 0)}.jpg\treplace red with blue\t{Id(2, 0)}.jpg"]);

        var ml = new MLContext(seed: 1);
        var triplets = (from s in Enumerable.Range(0, Shapes.Length)
                        from a in Enumerable.Range(0, Colours.Length)
                        from b in Enumerable.Range(0, Colours.Length)
                        where a != b
                        select new Triplet { Reference = Id(a, s) + ".jpg", Text = $"replace {Colours[a]} with {Colours[b]}", Target = Id(b, s) + ".jpg" }).ToList();
        var options = new ComposeImageTextEstimator.Options
        {
            ReferenceImageColumnName = nameof(Triplet.Reference),
            TextColumnName = nameof(Triplet.Text),
            TargetImageColumnName = nameof(Triplet.Target),
            ImageFolder = Images,
            ImageEncoder = ImageEncoderArchitecture.SmallConvNet,
            TextEncoder = TextEncoderArchitecture.SmallTransformer,
            SmallImageEncoderInputSize = 32,
            EmbeddingDimension = 32,
            Epochs = 1,
            BatchSize = 16,
            LearningRate = 0.05,
            WarmupEpochs = 0,
            AugmentImages = false,
            Seed = 5,
        };
        using var model = ml.Transforms.ComposeImageText(options).Fit(ml.Data.LoadFromEnumerable(triplets));
        Model = Path.Combine(Root, "tiny.mlcr");
        model.Save(Model);
    }

    public string Root { get; }

    public string Images { get; }

    public string Titles { get; }

    public string Queries { get; }

    public string Model { get; }

    public int Count => Colours.Length * Shapes.Length;

    public static string Id(int colour, int shape) => (1000 + shape * 10 + colour).ToString();

    public static string Title(int colour, int shape) => $"{char.ToUpperInvariant(Colours[colour][0])}{Colours[colour][1..]} {Shapes[shape]} tee";

    /// <summary>The JPEG of a product, as the gallery holds it.</summary>
    public byte[] Bytes(string id) => File.ReadAllBytes(Path.Combine(Images, id + ".jpg"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static byte[] Jpeg(int colour, int shape)
    {
        using var bitmap = new SKBitmap(48, 64);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.LightGray);
            using var paint = new SKPaint { Color = Paints[colour], IsAntialias = true };
            switch (shape)
            {
                case 0: canvas.DrawRect(8, 16, 32, 32, paint); break;
                case 1: canvas.DrawCircle(24, 32, 16, paint); break;
                default: canvas.DrawRect(0, 24, 48, 16, paint); break;
            }
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }

    private sealed class Triplet
    {
        public string Reference { get; set; } = "";
        public string Text { get; set; } = "";
        public string Target { get; set; } = "";
    }
}

/// <summary>One catalogue for every test class: training the tiny model once keeps the suite fast.</summary>
[CollectionDefinition(Name)]
public sealed class TinyCatalogueCollection : ICollectionFixture<TinyCatalogue>
{
    public const string Name = "tiny catalogue";
}
