using MLNet.ComposedRetrieval.Data;

namespace MLNet.ComposedRetrieval.Tests.Data.Synthetic;

/// <summary>
/// A deterministic composed-retrieval task on rendered shapes, for tests and the first sample: a reference image
/// shows one coloured shape in a grid cell; the text asks to change its colour, its shape or both ("replace the red
/// circle with a blue square", "make it blue"); the target keeps the cell and size. Solving it needs both the image
/// (where, how big) and the text (what), which is what a composed-retrieval model must learn.
/// </summary>
internal sealed class SyntheticShapesTask
{
    private SyntheticShapesTask(IReadOnlyList<ShapeScene> scenes, IReadOnlyList<byte[]> images, int imageSize,
        IReadOnlyList<SyntheticTriplet> train, IReadOnlyList<SyntheticTriplet> queries)
    {
        Scenes = scenes;
        Images = images;
        ImageSize = imageSize;
        TrainTriplets = train;
        Queries = queries;
    }

    /// <summary>The scene of each image; the image id is the list index.</summary>
    public IReadOnlyList<ShapeScene> Scenes { get; }

    /// <summary>RGB bytes (ImageSize x ImageSize x 3) of each image.</summary>
    public IReadOnlyList<byte[]> Images { get; }

    public int ImageSize { get; }

    public IReadOnlyList<SyntheticTriplet> TrainTriplets { get; }

    /// <summary>Held-out queries: their (reference scene, edit) pairs never occur in training; the gallery is every image.</summary>
    public IReadOnlyList<SyntheticTriplet> Queries { get; }

    /// <summary>Builds the task; the same arguments always give the same images and triplets.</summary>
    public static SyntheticShapesTask Create(int trainTriplets, int queries, int imageSize = 32, int seed = 7)
    {
        if (trainTriplets <= 0 || queries <= 0) throw new ArgumentOutOfRangeException(nameof(trainTriplets), "Counts must be positive.");
        var random = new Random(seed);
        var scenes = ShapeScene.All;
        var images = scenes.Select(s => ShapeRenderer.Render(s, imageSize, random)).ToList();

        // Every (reference, edit) pair once, shuffled, then split: held-out queries are unseen compositions.
        var pairs = new List<SyntheticTriplet>();
        foreach (var reference in scenes)
        {
            foreach (var target in scenes.Where(t => t.Cell == reference.Cell && t.Size == reference.Size && t != reference))
                pairs.Add(new SyntheticTriplet(reference.Index, EditText(reference, target, random), target.Index));
        }
        Shuffle(pairs, random);
        if (trainTriplets + queries > pairs.Count)
            throw new ArgumentOutOfRangeException(nameof(trainTriplets), $"At most {pairs.Count} distinct triplets exist.");
        return new SyntheticShapesTask(scenes, images, imageSize, pairs.Take(trainTriplets).ToList(),
            pairs.Skip(trainTriplets).Take(queries).ToList());
    }

    private static string EditText(ShapeScene from, ShapeScene to, Random random)
    {
        string colour = ShapeScene.ColourNames[to.Colour], shape = ShapeScene.ShapeNames[to.Shape];
        if (from.Shape == to.Shape)
            return random.Next(2) == 0 ? $"make it {colour}" : $"replace the {from.Describe()} with a {colour} {shape}";
        if (from.Colour == to.Colour)
            return random.Next(2) == 0 ? $"turn it into a {shape}" : $"replace the {from.Describe()} with a {colour} {shape}";
        return $"replace the {from.Describe()} with a {colour} {shape}";
    }

    private static void Shuffle<T>(IList<T> items, Random random)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}

/// <summary>A synthetic triplet: image ids (indices into <see cref="SyntheticShapesTask.Images"/>) and the edit text.</summary>
internal sealed record SyntheticTriplet(int Reference, string Text, int Target);
