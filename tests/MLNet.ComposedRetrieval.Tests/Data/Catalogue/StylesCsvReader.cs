using System.Globalization;

using MLNet.ComposedRetrieval.Data;

namespace MLNet.ComposedRetrieval.Tests.Data.Catalogue;

/// <summary>
/// Reads the fashion-product catalogue's <c>styles.csv</c>: a header and 10 comma-separated fields per line. The
/// file does not quote fields and the last one, the title, may itself contain commas, so a line is split at most
/// 9 times (datasets/README.md).
/// </summary>
internal static class StylesCsvReader
{
    /// <summary>The expected header.</summary>
    public static IReadOnlyList<string> Columns { get; } =
    [
        "id", "gender", "masterCategory", "subCategory", "articleType",
        "baseColour", "season", "year", "usage", "productDisplayName",
    ];

    /// <summary>Every row of <paramref name="path"/>, in file order; a repeated id is an error.</summary>
    public static IReadOnlyList<FashionProductStyle> Read(string path)
    {
        var styles = new List<FashionProductStyle>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var row in DelimitedAnnotationFile.ReadRows(path, ',', Columns, lastColumnTakesRest: true))
        {
            var f = row.Fields;
            var id = row.Required(0).Trim();
            if (!seen.TryAdd(id, row.LineNumber))
                throw row.Error($"the id '{id}' was already used on line {seen[id]}.");
            int? year = null;
            if (!string.IsNullOrWhiteSpace(f[7]))
            {
                year = int.TryParse(f[7], NumberStyles.Integer, CultureInfo.InvariantCulture, out var y)
                    ? y
                    : throw row.Error($"expected a whole number or nothing in 'year', found \"{f[7]}\".");
            }
            styles.Add(new FashionProductStyle(id, f[1], f[2], f[3], f[4], f[5], f[6], year, f[8], f[9]));
        }
        return styles;
    }
}
