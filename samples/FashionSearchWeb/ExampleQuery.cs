using FashionProductSearch;
using Microsoft.ML;
using MLNet.ComposedRetrieval;

namespace FashionSearchWeb;

/// <summary>A query of the val file (reference, text, every correct target) whose images are in the gallery.</summary>
/// <param name="ReferenceId">The reference image's gallery id.</param>
/// <param name="Text">The modification text.</param>
/// <param name="Targets">The gallery ids of its correct targets.</param>
internal sealed record ExampleQuery(string ReferenceId, string Text, IReadOnlyList<string> Targets)
{
    /// <summary>The queries of a query TSV (header; reference, text, ';'-separated targets) that the gallery can answer.</summary>
    public static IReadOnlyList<ExampleQuery> Read(string queryFile, GalleryFolder gallery)
    {
        if (!File.Exists(queryFile)) throw new FileNotFoundException($"Query file '{queryFile}' does not exist.", queryFile);
        var ml = new MLContext(seed: 0);
        var rows = ml.Data.LoadFromTextFile<QueryRow>(queryFile, separatorChar: '\t', hasHeader: true);
        var examples = new List<ExampleQuery>();
        foreach (var row in ml.Data.CreateEnumerable<QueryRow>(rows, reuseRowObject: false))
        {
            var reference = GalleryFolder.IdOf(row.ReferencePath);
            var targets = row.TargetImages.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(GalleryFolder.IdOf).Where(gallery.Contains).ToList();
            if (gallery.Contains(reference) && targets.Count > 0 && row.ModificationText.Trim().Length > 0)
                examples.Add(new ExampleQuery(reference, row.ModificationText.Trim(), targets));
        }
        return examples;
    }
}
