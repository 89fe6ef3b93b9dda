namespace MLNet.ComposedRetrieval.Data;

/// <summary>
/// TIRG's caption index for Fashion200k training pairs (<c>caption_index_init_</c> / <c>caption_index_sample_</c>):
/// a "parent" of a caption is the caption with one of its words removed; captions that share a parent differ in
/// one word, and an image is modifiable when some parent of its caption has at least two child captions.
/// Reproduced faithfully, including TIRG's way of removing a word (every occurrence of it as a substring, then
/// one pass turning double spaces into single ones). Containers keep first-seen order so that sampling under a
/// seed is reproducible.
/// </summary>
internal sealed class Fashion200kCaptionIndex
{
    private readonly IReadOnlyList<Fashion200kImage> _images;
    private readonly Dictionary<string, List<int>> _imagesByCaption = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _childrenByParent = new(StringComparer.Ordinal);
    private readonly List<string>[] _parentsByImage;

    /// <summary>Indexes <paramref name="images"/> (a training split).</summary>
    public Fashion200kCaptionIndex(IReadOnlyList<Fashion200kImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        _images = images;
        var captions = new List<string>();
        for (var i = 0; i < images.Count; i++)
        {
            if (!_imagesByCaption.TryGetValue(images[i].Caption, out var ids))
            {
                _imagesByCaption[images[i].Caption] = ids = [];
                captions.Add(images[i].Caption);
            }
            ids.Add(i);
        }

        var parents = new List<string>();
        foreach (var caption in captions)
        {
            foreach (var word in TirgCaptionText.Words(caption))
            {
                var parent = Parent(caption, word);
                if (!_childrenByParent.TryGetValue(parent, out var children))
                {
                    _childrenByParent[parent] = children = [];
                    parents.Add(parent);
                }
                if (!children.Contains(caption)) children.Add(caption);
            }
        }

        _parentsByImage = new List<string>[images.Count];
        for (var i = 0; i < images.Count; i++) _parentsByImage[i] = [];
        foreach (var parent in parents)
        {
            var children = _childrenByParent[parent];
            if (children.Count < 2) continue;
            foreach (var child in children)
            {
                foreach (var image in _imagesByCaption[child]) _parentsByImage[image].Add(parent);
            }
        }
        ModifiableImageCount = _parentsByImage.Count(p => p.Count > 0);
    }

    /// <summary>How many distinct captions the split has.</summary>
    public int CaptionCount => _imagesByCaption.Count;

    /// <summary>How many images have a caption that differs from another caption in one word.</summary>
    public int ModifiableImageCount { get; }

    /// <summary>TIRG's parent of <paramref name="caption"/> without <paramref name="word"/>.</summary>
    public static string Parent(string caption, string word) =>
        caption.Replace(word, "", StringComparison.Ordinal).Replace("  ", " ", StringComparison.Ordinal).Trim();

    /// <summary>Whether image <paramref name="image"/> (an index into the indexed list) has a one-word neighbour.</summary>
    public bool IsModifiable(int image) => _parentsByImage[image].Count > 0;

    /// <summary>The parents through which image <paramref name="image"/> has neighbours (repeats allowed, as in TIRG).</summary>
    public IReadOnlyList<string> ParentCaptions(int image) => _parentsByImage[image];

    /// <summary>The captions that share <paramref name="parent"/>.</summary>
    public IReadOnlyList<string> Children(string parent) => _childrenByParent[parent];

    /// <summary>The images whose caption is <paramref name="caption"/>.</summary>
    public IReadOnlyList<int> ImagesWithCaption(string caption) => _imagesByCaption[caption];

    /// <summary>
    /// TIRG's target sampling for a modifiable image: a random parent of its caption, a random child caption of it
    /// other than its own, then a random image with that caption.
    /// </summary>
    public int SampleTarget(int image, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var parents = _parentsByImage[image];
        if (parents.Count == 0)
            throw new InvalidOperationException($"The image '{_images[image].FilePath}' (\"{_images[image].Caption}\") has no one-word neighbour.");
        string target;
        do
        {
            var children = _childrenByParent[parents[random.Next(parents.Count)]];
            target = children[random.Next(children.Count)];
        }
        while (target == _images[image].Caption);
        var candidates = _imagesByCaption[target];
        return candidates[random.Next(candidates.Count)];
    }
}
