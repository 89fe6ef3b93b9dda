namespace MLNet.ComposedRetrieval.Reporting;

/// <summary>
/// The method names the experiment reports under, so the JSON, tables, chart legends and colours agree.
/// Variants may use other names (they get colours from the palette in order of appearance).
/// </summary>
public static class MethodNames
{
    /// <summary>The paper's baseline: trained with InfoNCE alone.</summary>
    public const string Baseline = "InfoNCE baseline";

    /// <summary>The paper's method: InfoNCE plus the uncertainty regularisation (Eq. 3, docs/method.md).</summary>
    public const string Uncertainty = "Uncertainty (ours)";

    /// <summary>No training: the reference image's feature alone is the query.</summary>
    public const string ZeroShot = "Zero-shot (reference image)";
}
