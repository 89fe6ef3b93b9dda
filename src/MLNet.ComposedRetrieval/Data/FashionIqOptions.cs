namespace MLNet.ComposedRetrieval.Data;

/// <summary>Where FashionIQ images are and which protocol choices <see cref="FashionIqReader.Load"/> makes.</summary>
internal sealed record FashionIqOptions
{
    /// <summary>The folder image paths are relative to; null for the annotation folder itself.</summary>
    public string? ImageRoot { get; init; }

    /// <summary>The path of an image under <see cref="ImageRoot"/>, with <c>{id}</c> for the ASIN.</summary>
    public string ImagePattern { get; init; } = "images/{id}.jpg";

    /// <summary>Also look images up by file name in any folder under <see cref="ImageRoot"/> (for example
    /// <c>images/dress/&lt;ASIN&gt;.jpg</c>).</summary>
    public bool SearchImageSubfolders { get; init; }

    /// <summary>
    /// Gallery = every image of the category's val image split, instead of the paper's code's gallery (the unique
    /// reference and target images of the val pairs, datasets/README.md). Off by default.
    /// </summary>
    public bool GalleryFromImageSplit { get; init; }

    /// <summary>
    /// Spell out '.', '?', '&amp;', '*' in the joined texts as the paper's code does for its word vocabulary
    /// (<see cref="TirgCaptionText.PostProcess"/>). Off by default: sub-word tokenizers handle punctuation.
    /// </summary>
    public bool SpellOutPunctuation { get; init; }
}
