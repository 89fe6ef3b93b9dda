namespace FashionProductSearch;

/// <summary>Product titles from styles.csv, by image file name ("1163.jpg"). Titles may hold commas, so a line is split
/// at its first nine commas only (see the dataset's README).</summary>
internal static class ProductTitles
{
    public static IReadOnlyDictionary<string, string> Read(string stylesCsv)
    {
        var titles = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(stylesCsv).Skip(1))
        {
            var fields = line.Split(',', 10);
            if (fields.Length == 10) titles[fields[0] + ".jpg"] = fields[9].Trim();
        }
        return titles;
    }
}
