namespace MLNet.ComposedRetrieval;

/// <summary>
/// One query's ranked gallery images, best first: <see cref="Ids"/>[r] scored <see cref="Scores"/>[r]
/// (the dot product with the query). Equal scores are in gallery order.
/// </summary>
/// <param name="Ids">Gallery ids, best first.</param>
/// <param name="Scores">Their scores, non-increasing.</param>
public sealed record GalleryRanking(IReadOnlyList<string> Ids, IReadOnlyList<float> Scores)
{
    /// <summary>How many images the ranking holds.</summary>
    public int Count => Ids.Count;
}
