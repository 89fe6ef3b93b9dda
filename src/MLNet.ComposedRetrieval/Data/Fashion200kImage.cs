namespace MLNet.ComposedRetrieval.Data;

/// <summary>One line of a Fashion200k label file (<c>path &lt;TAB&gt; detection score &lt;TAB&gt; caption</c>).</summary>
/// <param name="FilePath">The image path relative to the dataset root, which also serves as the image id.</param>
/// <param name="DetectionScore">The detector's confidence for the garment crop.</param>
/// <param name="Caption">The product description after TIRG's <see cref="TirgCaptionText.PostProcess"/>; images
/// with the same caption count as the same product at evaluation.</param>
internal sealed record Fashion200kImage(string FilePath, double DetectionScore, string Caption);
