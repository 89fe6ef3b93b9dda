namespace MLNet.ComposedRetrieval.Data;

/// <summary>Where the Shoes images are for <see cref="ShoesReader.Load"/>.</summary>
internal sealed record ShoesOptions
{
    /// <summary>The folder image paths are relative to; null for the annotation folder itself.</summary>
    public string? ImageRoot { get; init; }

    /// <summary>The path of an image under <see cref="ImageRoot"/>, with <c>{id}</c> for its file name.</summary>
    public string ImagePattern { get; init; } = "{id}";

    /// <summary>Look images up by file name in any folder under <see cref="ImageRoot"/>: the Attribute Discovery
    /// archive keeps them in <c>womens_*</c> folders that the annotations do not name. On by default.</summary>
    public bool SearchImageSubfolders { get; init; } = true;
}
