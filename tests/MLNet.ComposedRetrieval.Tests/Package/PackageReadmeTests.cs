using System.Reflection;
using System.Runtime.Loader;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using MLNet.ComposedRetrieval.Tests.Data;
using MLNet.ComposedRetrieval.Tests.Pipeline;

namespace MLNet.ComposedRetrieval.Tests.Package;

/// <summary>
/// The package README's quick start compiles as written (its ```csharp block, a program with top-level statements,
/// against the package and ML.NET only) and runs on a tiny folder of the layout it describes: synthetic 32 x 32 PNGs,
/// 40 triplets, 8 queries. It trains with the pretrained encoders, so it shares the trained-model collection.
/// </summary>
[Collection(TrainedModelCollection.Name)]
public class PackageReadmeTests
{
    private const string ReadmePath = "src/MLNet.ComposedRetrieval/README.md";

    [Fact]
    public void TheQuickStartCompilesAndRunsOnATinyFolder()
    {
        var code = CSharpBlocks(File.ReadAllText(RepositoryFiles.PathOf(ReadmePath)));
        Assert.NotEmpty(code);
        var program = Compile(string.Join(Environment.NewLine, code));

        using var folder = new TemporaryFolder();
        WriteFixture(folder.FullPath);
        var output = new StringWriter();
        var console = Console.Out;
        Console.SetOut(output);
        try
        {
            program.EntryPoint!.Invoke(null, [new[] { folder.FullPath }]);
            // Progress<T> reports on the thread pool: let the last ones reach the console before it is restored.
            for (var wait = 0; wait < 50 && !Regex.IsMatch(output.ToString(), @"(?m)^gallery embeddings: (\d+) of \1$"); wait++) Thread.Sleep(100);
        }
        finally
        {
            Console.SetOut(console);
        }

        var printed = output.ToString();
        Assert.Matches(@"(?m)^\d+\.png -?\d+\.\d{3}$", printed); // the search's hits
        Assert.Contains("Recall@10 ", printed);
        Assert.True(File.Exists(Path.Combine(folder.FullPath, "model.mlcr")));
        Assert.Contains("images in the folder gallery", printed);
        Assert.Matches(@"(?m)^gallery embeddings: (\d+) of \1$", printed); // progress up to the whole gallery
        Assert.Matches(@"(?m)^query embeddings: (\d+) of \1$", printed);   // and up to the whole query set
        Assert.Matches(@"(?m)^\d+ queries embedded$", printed);
    }

    /// <summary>The bodies of the README's ```csharp blocks, in order.</summary>
    internal static IReadOnlyList<string> CSharpBlocks(string markdown) =>
        Regex.Matches(markdown, @"^```csharp\r?\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)
            .Select(m => m.Groups[1].Value).ToList();

    /// <summary>The global usings of a new console project (<c>dotnet new console</c>: ImplicitUsings enabled).</summary>
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    /// <summary>Compiles a console program as a new console project would (its implicit usings, nullable on) against the
    /// assemblies a package user has: the framework, the package and its dependencies (this test's output folder, the
    /// tests' own assemblies left out).</summary>
    private static Assembly Compile(string source)
    {
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var platformNames = platform.Select(Path.GetFileName).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var packageFolder = AppContext.BaseDirectory;
        var dependencies = Directory.EnumerateFiles(packageFolder, "*.dll")
            .Where(p => !platformNames.Contains(Path.GetFileName(p)) && IsManaged(p))
            .Where(p => !Path.GetFileName(p).StartsWith("MLNet.ComposedRetrieval.Tests", StringComparison.Ordinal)
                        && !Path.GetFileName(p).StartsWith("ComposedRetrieval", StringComparison.Ordinal)
                        && !Path.GetFileName(p).StartsWith("xunit", StringComparison.OrdinalIgnoreCase));
        var references = platform.Where(IsManaged).Concat(dependencies).Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create("PackageReadmeQuickStart",
            [CSharpSyntaxTree.ParseText(ImplicitUsings, new CSharpParseOptions(LanguageVersion.Latest)),
             CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest))],
            references,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        var result = compilation.Emit(image);
        var errors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error || d.IsWarningAsError).ToList();
        Assert.True(result.Success, "The README's quick start does not compile:" + Environment.NewLine + string.Join(Environment.NewLine, errors));
        return AssemblyLoadContext.Default.LoadFromStream(new MemoryStream(image.ToArray()));
    }

    private static bool IsManaged(string path)
    {
        try
        {
            AssemblyName.GetAssemblyName(path);
            return true;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }

    /// <summary>triplets.tsv, queries.tsv, gallery.tsv and images/ for the synthetic shapes task's first 40 triplets and
    /// 8 queries, the gallery every image they name.</summary>
    private static void WriteFixture(string folder)
    {
        var task = SyntheticRows.Task;
        var triplets = task.TrainTriplets.Take(40).ToList();
        var queries = task.Queries.Take(8).ToList();
        var ids = triplets.Concat(queries).SelectMany(t => new[] { t.Reference, t.Target }).Distinct().Order().ToList();
        SyntheticRows.WritePngs(Directory.CreateDirectory(Path.Combine(folder, "images")).FullName, ids);
        File.WriteAllLines(Path.Combine(folder, "triplets.tsv"),
            ["reference\ttext\ttarget", .. triplets.Select(t => $"{t.Reference}.png\t{t.Text}\t{t.Target}.png")]);
        File.WriteAllLines(Path.Combine(folder, "queries.tsv"),
            ["reference\ttext\ttargets", .. queries.Select(q => $"{q.Reference}.png\t{q.Text}\t{q.Target}.png")]);
        File.WriteAllLines(Path.Combine(folder, "gallery.tsv"), ["image", .. ids.Select(id => $"{id}.png")]);
    }
}
