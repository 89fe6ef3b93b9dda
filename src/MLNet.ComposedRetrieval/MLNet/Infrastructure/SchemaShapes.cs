using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// Builds the <see cref="SchemaShape"/> an estimator's <c>GetOutputSchema</c> returns. ML.NET keeps the constructor of
/// <see cref="SchemaShape.Column"/> internal (dotnet/machinelearning#3243), so a new column's shape is taken from the
/// output of a public estimator that adds a column of any name and type: a no-op custom mapping.
/// </summary>
internal static class SchemaShapes
{
    private static readonly MLContext Context = new();

    /// <summary><paramref name="input"/> with a Single vector column of <paramref name="size"/> added (replacing an
    /// input column of the same name).</summary>
    public static SchemaShape AppendSingleVector(SchemaShape input, string name, int size)
    {
        var added = SingleVector(name, size);
        return new SchemaShape(input.Where(c => c.Name != name).Append(added));
    }

    private static SchemaShape.Column SingleVector(string name, int size)
    {
        var definition = SchemaDefinition.Create(typeof(Output));
        definition[0].ColumnName = name;
        definition[0].ColumnType = new VectorDataViewType(NumberDataViewType.Single, size);
        var mapping = Context.Transforms.CustomMapping<NoInput, Output>((_, _) => { }, contractName: null, outputSchemaDefinition: definition);
        return mapping.GetOutputSchema(new SchemaShape([])).Single(c => c.Name == name);
    }

    private sealed class NoInput;

    private sealed class Output
    {
        // A column description only: its values are never read.
        public float[]? Value { get; set; }
    }
}
