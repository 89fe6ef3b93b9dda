namespace MLNet.ComposedRetrieval.Data;

/// <summary>One entry of a FashionIQ caption file: a candidate (reference) product, the target product, and the
/// two relative captions annotators wrote for the pair.</summary>
/// <param name="CandidateId">The reference image's ASIN.</param>
/// <param name="TargetId">The target image's ASIN; null in the test split, which withholds targets.</param>
/// <param name="FirstCaption">The first caption, trimmed (it may be empty: a few annotations are).</param>
/// <param name="SecondCaption">The second caption, trimmed.</param>
internal sealed record FashionIqPair(string CandidateId, string? TargetId, string FirstCaption, string SecondCaption)
{
    /// <summary>
    /// The two modification texts of the paper's code, one per caption order: "c1 and c2" and "c2 and c1"
    /// (its <c>_cat_captions</c> joins a pair's two captions with " and ", each way round; the result is trimmed, which
    /// matters only when a caption is empty).
    /// </summary>
    public (string FirstThenSecond, string SecondThenFirst) ModificationTexts() =>
        ($"{FirstCaption} and {SecondCaption}".Trim(), $"{SecondCaption} and {FirstCaption}".Trim());
}
