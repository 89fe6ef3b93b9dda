using MLNet.ComposedRetrieval.Data;

namespace MLNet.ComposedRetrieval.Tests.Data.Synthetic;

/// <summary>One rendered object: a coloured shape in a cell of a 3 x 3 grid, at one of two sizes.</summary>
internal sealed record ShapeScene(int Colour, int Shape, int Cell, int Size)
{
    public static readonly string[] ColourNames = ["red", "green", "blue", "yellow", "purple", "orange"];
    public static readonly string[] ShapeNames = ["circle", "square", "triangle"];
    public const int Cells = 9;
    public const int Sizes = 2;

    internal static readonly byte[][] Rgb =
    [
        [220, 40, 40], [40, 180, 60], [50, 80, 230], [235, 215, 40], [150, 60, 190], [245, 140, 30],
    ];

    /// <summary>All distinct scenes, in a fixed order (the gallery of the synthetic task).</summary>
    public static IReadOnlyList<ShapeScene> All { get; } =
        (from c in Enumerable.Range(0, ColourNames.Length)
         from s in Enumerable.Range(0, ShapeNames.Length)
         from cell in Enumerable.Range(0, Cells)
         from size in Enumerable.Range(0, Sizes)
         select new ShapeScene(c, s, cell, size)).ToList();

    public int Index => ((Colour * ShapeNames.Length + Shape) * Cells + Cell) * Sizes + Size;

    public string Describe() => $"{ColourNames[Colour]} {ShapeNames[Shape]}";
}
