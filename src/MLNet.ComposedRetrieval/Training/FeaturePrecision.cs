namespace MLNet.ComposedRetrieval.Training;

/// <summary>How a <see cref="FeatureCache"/> stores values on disk.</summary>
internal enum FeaturePrecision
{
    /// <summary>float16: half the disk and memory of float32, about three significant digits (frozen encoder features).</summary>
    Half,

    /// <summary>float32, exactly as computed (embeddings that are ranked directly, where rounding could reorder near ties).</summary>
    Single,
}
