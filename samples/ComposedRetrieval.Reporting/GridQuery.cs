namespace MLNet.ComposedRetrieval.Reporting;

/// <summary>A query as the <see cref="QueryGrid"/> draws it: the reference image, the modification text and every
/// image that counts as a correct answer.</summary>
/// <param name="ReferenceImageId">The image the user starts from.</param>
/// <param name="Text">The requested change.</param>
/// <param name="TargetImageIds">The correct answers (at least one; the first is drawn as the target).</param>
public sealed record GridQuery(string ReferenceImageId, string Text, IReadOnlyList<string> TargetImageIds)
{
    /// <summary>A query with a single correct answer.</summary>
    public GridQuery(string referenceImageId, string text, string targetImageId) : this(referenceImageId, text, [targetImageId]) { }

    /// <summary>For messages: reference, text and targets.</summary>
    public override string ToString() => $"{ReferenceImageId} + \"{Text}\" -> {string.Join(";", TargetImageIds)}";
}
