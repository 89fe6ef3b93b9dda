using System.Globalization;

namespace MLNet.ComposedRetrieval.Data;

/// <summary>
/// The largest image file and the most pixels <see cref="ImageDecoder"/> accepts, so that a wrong path (a video, a
/// device such as <c>/dev/zero</c>, a decompression bomb) fails with an error naming the file instead of exhausting
/// memory. The defaults are far above any photo the model sees (it resizes to 224 x 224); the environment variables
/// <see cref="MaxFileBytesVariable"/> and <see cref="MaxPixelsVariable"/> raise or lower them for the whole process.
/// </summary>
/// <param name="MaxFileBytes">The largest encoded file, in bytes.</param>
/// <param name="MaxPixels">The most pixels (width x height) a decoded image may have.</param>
internal sealed record ImageLimits(long MaxFileBytes, long MaxPixels)
{
    /// <summary>Overrides <see cref="Default"/>'s <see cref="MaxFileBytes"/>: a whole number of bytes.</summary>
    public const string MaxFileBytesVariable = "MLNET_CR_MAX_IMAGE_BYTES";

    /// <summary>Overrides <see cref="Default"/>'s <see cref="MaxPixels"/>: a whole number of pixels.</summary>
    public const string MaxPixelsVariable = "MLNET_CR_MAX_IMAGE_PIXELS";

    /// <summary>256 MiB of encoded bytes, 100 megapixels (400 MB as RGBA while decoding).</summary>
    public static ImageLimits Builtin { get; } = new(256L << 20, 100_000_000);

    private static readonly Lazy<ImageLimits> FromEnvironment = new(() => Read(Environment.GetEnvironmentVariable));

    /// <summary>The limits in force: <see cref="Builtin"/>, with the environment variables' values where set.</summary>
    /// <exception cref="InvalidOperationException">A variable is set to something other than a positive whole number.</exception>
    public static ImageLimits Default => FromEnvironment.Value;

    /// <summary>The limits <paramref name="variable"/> (an environment lookup) sets over <see cref="Builtin"/>.</summary>
    internal static ImageLimits Read(Func<string, string?> variable) =>
        new(Parse(variable, MaxFileBytesVariable) ?? Builtin.MaxFileBytes, Parse(variable, MaxPixelsVariable) ?? Builtin.MaxPixels);

    private static long? Parse(Func<string, string?> variable, string name)
    {
        var text = variable(name);
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0) return value;
        throw new InvalidOperationException($"Environment variable {name} is '{text}'; expected a positive whole number.");
    }
}
