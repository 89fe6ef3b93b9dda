namespace MLNet.ComposedRetrieval.Data;

/// <summary>What <see cref="CompositionDataset.EnsureImages"/> does when image files are missing or unreadable.</summary>
internal enum MissingImagePolicy
{
    /// <summary>Throw a <see cref="MissingImagesException"/> that carries the report.</summary>
    Fail,

    /// <summary>Remove every triplet, query target, query and gallery entry that needs such an image, and say how
    /// many in the report.</summary>
    Drop,
}
