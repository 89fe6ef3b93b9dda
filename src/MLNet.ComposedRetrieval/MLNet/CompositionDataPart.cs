namespace MLNet.ComposedRetrieval;

/// <summary>Which part of a composed-retrieval benchmark a loader of <see cref="CompositionDataCatalog"/> returns.</summary>
public enum CompositionDataPart
{
    /// <summary>Training triplets: <c>ReferenceImage</c>, <c>ModificationText</c>, <c>TargetImage</c> (image paths).</summary>
    Triplets,

    /// <summary>Evaluation queries: <c>ReferenceImage</c>, <c>ModificationText</c> and <c>TargetImage</c>, which lists every
    /// acceptable target separated by ';' (a hit when any is in the top K).</summary>
    Queries,

    /// <summary>The evaluation gallery the queries are ranked against: <c>Image</c> (image paths).</summary>
    Gallery,
}
