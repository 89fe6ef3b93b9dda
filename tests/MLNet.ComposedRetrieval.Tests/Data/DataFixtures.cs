namespace MLNet.ComposedRetrieval.Tests.Data;

/// <summary>Paths of the small annotation fixtures under Fixtures/Data (copied next to the test binaries).</summary>
internal static class DataFixtures
{
    public static string Root { get; } = System.IO.Path.Combine(AppContext.BaseDirectory, "Fixtures", "Data");

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    public static string Malformed(params string[] parts) => System.IO.Path.Combine([Root, "malformed", .. parts]);
}
