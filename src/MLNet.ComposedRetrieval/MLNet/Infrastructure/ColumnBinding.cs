using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// Finds the input columns a component reads and checks their types, with ML.NET's wording and exception type
/// (<see cref="ArgumentOutOfRangeException"/> for a missing column or a schema mismatch), naming the column, what it
/// is for, the expected type and the type found.
/// </summary>
internal static class ColumnBinding
{
    /// <summary>What an image column may hold.</summary>
    public const string ImageTypes = "an image (MLImage, from mlContext.Transforms.LoadImages) or a String image path";

    /// <summary>The column named <paramref name="name"/>; <paramref name="role"/> says what it is for.</summary>
    public static DataViewSchema.Column Find(DataViewSchema schema, string name, string role)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (string.IsNullOrEmpty(name))
            throw new ArgumentException($"The name of the {role} column is empty.", nameof(name));
        return schema.GetColumnOrNull(name) ?? throw new ArgumentOutOfRangeException(nameof(schema),
            $"The {role} column '{name}' was not found in the input schema; its columns are: {Names(schema.Select(c => c.Name))}.");
    }

    /// <summary>Binds an image column: MLImage values, or paths (resolved against <paramref name="imageFolder"/>).</summary>
    public static ImageColumn BindImage(DataViewSchema schema, string name, string role, string? imageFolder)
    {
        var column = Find(schema, name, role);
        return column.Type switch
        {
            ImageDataViewType => new ImageColumn(column, isPath: false, imageFolder, role),
            TextDataViewType => new ImageColumn(column, isPath: true, imageFolder, role),
            _ => throw Mismatch(role, name, ImageTypes, $"{column.Type}"),
        };
    }

    /// <summary>Binds a String column.</summary>
    public static DataViewSchema.Column BindText(DataViewSchema schema, string name, string role)
    {
        var column = Find(schema, name, role);
        if (column.Type is not TextDataViewType) throw Mismatch(role, name, "String", $"{column.Type}");
        return column;
    }

    /// <summary>Binds a Single vector column of known size (an embedding).</summary>
    public static DataViewSchema.Column BindEmbedding(DataViewSchema schema, string name, string role)
    {
        var column = Find(schema, name, role);
        if (column.Type is not VectorDataViewType { ItemType: NumberDataViewType, Size: > 0 } vector || vector.ItemType != NumberDataViewType.Single)
            throw Mismatch(role, name, "a known-size vector of Single (an embedding)", $"{column.Type}");
        return column;
    }

    /// <summary>Checks an estimator's input shape for an image column.</summary>
    public static void CheckImage(SchemaShape shape, string name, string role)
    {
        var column = FindShape(shape, name, role);
        if (column.Kind != SchemaShape.Column.VectorKind.Scalar || column.ItemType is not (ImageDataViewType or TextDataViewType))
            throw Mismatch(role, name, ImageTypes, Describe(column));
    }

    /// <summary>Checks an estimator's input shape for a String column.</summary>
    public static void CheckText(SchemaShape shape, string name, string role)
    {
        var column = FindShape(shape, name, role);
        if (column.Kind != SchemaShape.Column.VectorKind.Scalar || column.ItemType is not TextDataViewType)
            throw Mismatch(role, name, "String", Describe(column));
    }

    public static ArgumentOutOfRangeException Mismatch(string role, string name, string expected, string found) =>
        new("inputSchema", $"Schema mismatch for the {role} column '{name}': expected {expected}, found {found}.");

    private static SchemaShape.Column FindShape(SchemaShape shape, string name, string role)
    {
        ArgumentNullException.ThrowIfNull(shape);
        foreach (var column in shape)
            if (column.Name == name) return column;
        throw new ArgumentOutOfRangeException("inputSchema",
            $"The {role} column '{name}' was not found in the input schema; its columns are: {Names(shape.Select(c => c.Name))}.");
    }

    private static string Describe(SchemaShape.Column column) => column.Kind switch
    {
        SchemaShape.Column.VectorKind.Scalar => $"{column.ItemType}",
        SchemaShape.Column.VectorKind.Vector => $"Vector<{column.ItemType}>",
        _ => $"VarVector<{column.ItemType}>",
    };

    private static string Names(IEnumerable<string> names)
    {
        var list = names.Distinct().ToList();
        return list.Count == 0 ? "(none)" : string.Join(", ", list.Select(n => $"'{n}'"));
    }
}
