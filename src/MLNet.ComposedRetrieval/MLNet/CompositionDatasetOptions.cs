namespace MLNet.ComposedRetrieval;

/// <summary>
/// How <c>mlContext.Data.LoadCompositionDataset(folder, options)</c> reads a dataset folder: its layout, a seeded subset
/// for quick runs, and what to do about missing image files.
/// </summary>
public sealed class CompositionDatasetOptions
{
    /// <summary>The layout: <c>auto</c> (decided from the files), <c>triplettsv</c>, <c>fashioniq</c>, <c>shoes</c> or
    /// <c>fashion200k</c>.</summary>
    public string Format = "auto";

    /// <summary>The FashionIQ category: <c>dress</c>, <c>shirt</c> or <c>toptee</c>.</summary>
    public string FashionIqCategory = "dress";

    /// <summary>Where the images are, if not where the layout puts them.</summary>
    public string? ImageFolder;

    /// <summary>Keep a seeded sample of at most this many training triplets; null for all.</summary>
    public int? MaxTriplets;

    /// <summary>Keep a seeded sample of at most this many evaluation queries; null for all.</summary>
    public int? MaxQueries;

    /// <summary>Cut the gallery to about this many images, keeping every kept query's reference and targets; null for
    /// all. Recall over a cut gallery is not comparable with the full protocol (the dataset's name says so).</summary>
    public int? MaxGallery;

    /// <summary>Seeds the subset samples (and Fashion200k's sampling of training triplets).</summary>
    public int Seed;

    /// <summary>Drop the triplets, queries, query targets and gallery images whose image files are missing or unreadable
    /// (<see cref="CompositionDatasetViews.ImageCheck"/> counts them); false (the default) throws an
    /// <see cref="IOException"/> naming them.</summary>
    public bool DropMissingImages;

    /// <summary>Check the image files (the default). False: no file is checked and nothing is dropped; the columns hold
    /// the paths where the layout puts the images, for callers that look images up elsewhere (for example in a
    /// <see cref="GalleryFolder"/>).</summary>
    public bool CheckImages = true;

    /// <summary>Replaces the advice at the end of the missing-images error (a command line names its flag); null for the default.</summary>
    public string? MissingImagesAdvice;
}
