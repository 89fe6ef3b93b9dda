namespace MLNet.ComposedRetrieval.Data;

/// <summary>Loads any supported dataset layout from a folder, detecting the format when asked.</summary>
internal static class CompositionDatasets
{
    public static DatasetFormat Detect(string root)
    {
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"Dataset folder '{root}' does not exist.");
        if (File.Exists(Path.Combine(root, TripletTsvLayout.FashionProductImages.TrainTripletsFile))) return DatasetFormat.TripletTsv;
        if (Directory.Exists(Path.Combine(root, "captions")) && Directory.Exists(Path.Combine(root, "image_splits"))) return DatasetFormat.FashionIq;
        if (File.Exists(Path.Combine(root, "relative_captions_shoes.json"))) return DatasetFormat.Shoes;
        if (Directory.Exists(Path.Combine(root, "labels"))) return DatasetFormat.Fashion200k;
        throw new InvalidDataException(
            $"Cannot tell the dataset format of '{root}': expected triplets.train.tsv (triplet TSV), captions/ + image_splits/ " +
            "(FashionIQ), relative_captions_shoes.json (Shoes) or labels/ (Fashion200k). Name the format explicitly.");
    }

    /// <summary>Loads the dataset; <paramref name="imageRoot"/> overrides where images are looked up and
    /// <paramref name="fashionIqCategory"/> picks the FashionIQ category.</summary>
    public static CompositionDataset Load(string root, DatasetFormat format = DatasetFormat.Auto, string? imageRoot = null,
        FashionIqCategory fashionIqCategory = FashionIqCategory.Dress, int seed = 0)
    {
        if (format == DatasetFormat.Auto) format = Detect(root);
        return format switch
        {
            DatasetFormat.TripletTsv => TripletTsvReader.Load(root, imageRoot is null ? null
                : TripletTsvLayout.FashionProductImages with { ImageFolder = Path.GetFullPath(imageRoot) }),
            DatasetFormat.FashionIq => FashionIqReader.Load(root, fashionIqCategory, new FashionIqOptions { ImageRoot = imageRoot }),
            DatasetFormat.Shoes => ShoesReader.Load(root, new ShoesOptions { ImageRoot = imageRoot }),
            DatasetFormat.Fashion200k => Fashion200kReader.Load(root, new Fashion200kOptions { ImageRoot = imageRoot, Seed = seed }),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown dataset format."),
        };
    }
}
