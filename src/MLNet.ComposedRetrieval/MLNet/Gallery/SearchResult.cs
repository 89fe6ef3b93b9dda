namespace MLNet.ComposedRetrieval;

/// <summary>One gallery image found for a query.</summary>
/// <param name="ImageId">The gallery image's id.</param>
/// <param name="Score">Its score: the dot product of query and image embeddings (higher is better; at most 16 with the
/// default norm scale of 4).</param>
public sealed record SearchResult(string ImageId, float Score);
