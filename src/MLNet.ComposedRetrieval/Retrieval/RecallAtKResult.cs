namespace MLNet.ComposedRetrieval.Retrieval;

/// <summary>Recall@K for several K over one query set (see <see cref="RecallAtK"/>).</summary>
internal sealed class RecallAtKResult
{
    internal RecallAtKResult(int[] ks, double[] recalls, int queryCount, int gallerySize, GalleryCoverage? coverage = null)
    {
        Coverage = coverage ?? GalleryCoverage.Unknown;
        Ks = Array.AsReadOnly(ks);
        Recalls = Array.AsReadOnly(recalls);
        QueryCount = queryCount;
        GallerySize = gallerySize;
    }

    /// <summary>The K values, ascending.</summary>
    public IReadOnlyList<int> Ks { get; }

    /// <summary>Recall@K in percent (0-100), aligned with <see cref="Ks"/>.</summary>
    public IReadOnlyList<double> Recalls { get; }

    /// <summary>How many queries were scored.</summary>
    public int QueryCount { get; }

    /// <summary>How many images the gallery holds.</summary>
    public int GallerySize { get; }

    /// <summary>How many query targets the gallery lacks (<see cref="GalleryCoverage.Unknown"/> when not checked).</summary>
    public GalleryCoverage Coverage { get; }

    /// <summary>Recall@<paramref name="k"/> in percent; <paramref name="k"/> must be one of <see cref="Ks"/>.</summary>
    public double RecallAt(int k)
    {
        for (var i = 0; i < Ks.Count; i++)
            if (Ks[i] == k) return Recalls[i];
        throw new ArgumentException($"Recall@{k} was not computed; available K: {string.Join(", ", Ks)}.", nameof(k));
    }

    /// <inheritdoc />
    public override string ToString() =>
        string.Join(", ", Ks.Select((k, i) => FormattableString.Invariant($"R@{k} {Recalls[i]:F2}"))) +
        FormattableString.Invariant($" ({QueryCount} queries, gallery of {GallerySize})") +
        (Coverage.HasMissing ? "; warning: " + Coverage.Describe(QueryCount) : "");
}
