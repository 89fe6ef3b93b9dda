namespace MLNet.ComposedRetrieval;

/// <summary>
/// The ranges of the run-time settings a model is trained with and a model file holds. Checked when training starts
/// and when a file is loaded, so a bad value (a crafted or damaged file) fails there with its name, not at first use.
/// </summary>
internal static class ModelSettingLimits
{
    public const int MaxInferenceBatchSize = 65_536;
    public const int MinTextLength = 2;
    public const int MaxTextLength = 8_192;

    public const string InferenceBatchSizeRule = "Must be 1 to 65536 rows per network call.";
    public const string TextLengthRule = "A text needs at least 2 tokens; at most 8192 can be kept.";

    public static bool IsValidInferenceBatchSize(int rows) => rows is >= 1 and <= MaxInferenceBatchSize;

    public static bool IsValidTextLength(int tokens) => tokens is >= MinTextLength and <= MaxTextLength;
}
