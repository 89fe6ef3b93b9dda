namespace MLNet.ComposedRetrieval;

/// <summary>
/// How a gallery index stores its embeddings. Search over a large gallery is limited by the speed at which the
/// embeddings are read from memory, so fewer bytes per value make it faster (for one query at a time) and smaller,
/// at some cost in recall. Scores are computed from the stored values: with <see cref="Half"/> or <see cref="Int8"/>
/// they are the reduced-precision scores, not the float32 ones, and near-equal images may swap places.
/// </summary>
public enum GalleryPrecision
{
    /// <summary>float32, 4 bytes a value: the exact scores. The default.</summary>
    Single = 0,

    /// <summary>
    /// IEEE 754 half precision, 2 bytes a value: each value rounded to 11 significant bits (a relative error of at
    /// most 2^-11, about 0.05%). Values beyond ±65504 (the largest half) are refused.
    /// </summary>
    Half = 1,

    /// <summary>
    /// 8-bit integers with one float32 scale per image, about 1 byte a value: each image's values are divided by its
    /// largest magnitude / 127 and rounded, so each is off by at most half of that step (0.4% of the image's largest
    /// magnitude). Queries are rounded to 16-bit integers (per query, in the same way) so that the dot products run
    /// in exact integer arithmetic; that adds an error about 250 times smaller than the gallery's.
    /// </summary>
    Int8 = 2,
}
