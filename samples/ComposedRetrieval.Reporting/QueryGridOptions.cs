namespace MLNet.ComposedRetrieval.Reporting;

/// <summary>Layout of a <see cref="QueryGrid"/>.</summary>
public sealed record QueryGridOptions
{
    /// <summary>Retrieved images shown per method.</summary>
    public int TopK { get; init; } = 5;

    /// <summary>The box each image is fitted into, keeping its aspect (120 x 160 shows 60 x 80 product photos at x2).</summary>
    public int ThumbnailWidth { get; init; } = 120;

    /// <inheritdoc cref="ThumbnailWidth"/>
    public int ThumbnailHeight { get; init; } = 160;

    /// <summary>Width of the modification text column; the text is wrapped to it.</summary>
    public int TextColumnWidth { get; init; } = 210;

    /// <summary>Show the (first) target image beside the reference.</summary>
    public bool ShowTarget { get; init; } = true;

    /// <summary>A heading above the grid; null for none.</summary>
    public string? Title { get; init; }

    /// <summary>Checks every size is positive.</summary>
    public void Validate()
    {
        if (TopK <= 0 || ThumbnailWidth <= 0 || ThumbnailHeight <= 0 || TextColumnWidth <= 0)
            throw new ArgumentException(
                $"Query grid sizes must be positive: TopK {TopK}, thumbnail {ThumbnailWidth} x {ThumbnailHeight}, text column {TextColumnWidth}.");
    }
}
