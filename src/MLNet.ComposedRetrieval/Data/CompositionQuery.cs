namespace MLNet.ComposedRetrieval.Data;

/// <summary>
/// One evaluation query: a reference image and a modification text, with every gallery image that counts as a
/// correct answer (a query is a hit at K when any of them is among the top K; the reference itself is removed
/// from its own ranking, docs/method.md "Evaluation").
/// </summary>
internal sealed record CompositionQuery
{
    /// <summary>Creates a query; <paramref name="targetImageIds"/> must name at least one image.</summary>
    public CompositionQuery(string referenceImageId, string modificationText, IReadOnlyList<string> targetImageIds)
    {
        ArgumentNullException.ThrowIfNull(referenceImageId);
        ArgumentNullException.ThrowIfNull(modificationText);
        ArgumentNullException.ThrowIfNull(targetImageIds);
        if (targetImageIds.Count == 0)
            throw new ArgumentException($"The query on '{referenceImageId}' (\"{modificationText}\") has no target image.", nameof(targetImageIds));
        ReferenceImageId = referenceImageId;
        ModificationText = modificationText;
        TargetImageIds = targetImageIds.ToArray();
    }

    /// <summary>Creates a query with a single correct answer.</summary>
    public CompositionQuery(string referenceImageId, string modificationText, string targetImageId)
        : this(referenceImageId, modificationText, [targetImageId]) { }

    /// <summary>The image the user starts from.</summary>
    public string ReferenceImageId { get; }

    /// <summary>The requested change.</summary>
    public string ModificationText { get; }

    /// <summary>Every image that answers the query correctly (at least one).</summary>
    public IReadOnlyList<string> TargetImageIds { get; }

    /// <summary>Equal when reference, text and the target list (in order) are equal.</summary>
    public bool Equals(CompositionQuery? other) =>
        other is not null &&
        ReferenceImageId == other.ReferenceImageId &&
        ModificationText == other.ModificationText &&
        TargetImageIds.SequenceEqual(other.TargetImageIds);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(ReferenceImageId);
        hash.Add(ModificationText);
        foreach (var target in TargetImageIds) hash.Add(target);
        return hash.ToHashCode();
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{ReferenceImageId} + \"{ModificationText}\" -> {string.Join(";", TargetImageIds)}";
}
