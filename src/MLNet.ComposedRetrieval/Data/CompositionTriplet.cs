namespace MLNet.ComposedRetrieval.Data;

/// <summary>
/// One training example of composed retrieval: the reference image, the text that says how to change it, and
/// the image the change should lead to. Images are named by id; a <see cref="ImageLocator"/> turns an id into a file.
/// </summary>
/// <param name="ReferenceImageId">The image the user starts from.</param>
/// <param name="ModificationText">The requested change, for example "replace black with red".</param>
/// <param name="TargetImageId">The image that satisfies the change.</param>
internal sealed record CompositionTriplet(string ReferenceImageId, string ModificationText, string TargetImageId);
