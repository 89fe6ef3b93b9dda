using MLNet.ComposedRetrieval.Native;
namespace MLNet.ComposedRetrieval;

/// <summary>
/// Switches for the native fast paths that inference may take. Every one is guarded by a check that cannot end the
/// process; these switches turn a path off regardless of that check, for a host where it still misbehaves.
/// </summary>
/// <remarks>
/// Read when a model is built for inference (loading a model, <c>Fit</c>, building a search engine): set them
/// before that. The environment variable <c>MLNET_COMPOSED_RETRIEVAL_ONEDNN_LAYOUT=0</c> sets
/// <see cref="UseOneDnnLayout"/> to false for the whole process.
/// </remarks>
public static class NativeFastPaths
{
    /// <summary>The environment variable that turns oneDNN's layout off when set to 0, false or off.</summary>
    public const string OneDnnLayoutVariable = "MLNET_COMPOSED_RETRIEVAL_ONEDNN_LAYOUT";

    /// <summary>
    /// Whether a ResNet image encoder may run in oneDNN's tensor layout at inference (faster on the CPU; results equal
    /// to the dense path). True by default, unless <see cref="OneDnnLayoutVariable"/> says 0. Even when true, the layout
    /// is used only where a host check finds it safe (see <see cref="OneDnnLayoutBlockedReason"/>).
    /// </summary>
    public static bool UseOneDnnLayout { get; set; } =
        Environment.GetEnvironmentVariable(OneDnnLayoutVariable)?.Trim().ToLowerInvariant() is not ("0" or "false" or "off");

    /// <summary>Null when oneDNN's layout may be tried on this host; otherwise why it is not used.</summary>
    public static string? OneDnnLayoutBlockedReason =>
        !UseOneDnnLayout ? $"turned off ({nameof(NativeFastPaths)}.{nameof(UseOneDnnLayout)} = false or {OneDnnLayoutVariable}=0)"
        : OneDnnHostCheck.Verdict is { } unsafeHost ? "unsafe on this host: " + unsafeHost
        : null;
}
