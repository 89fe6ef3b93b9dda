using System.Text;

using MLNet.ComposedRetrieval.Data;

namespace MLNet.ComposedRetrieval.Tests.Data.Catalogue;

/// <summary>
/// Makes composed-retrieval data from a product catalogue by the Fashion200k protocol of TIRG and the paper
/// (datasets/README.md): titles are normalised (lower case, non-alphanumerics to spaces, spaces collapsed); two
/// titles with the same number of words that differ in exactly one word, both words alphabetic, give the text
/// "replace &lt;old&gt; with &lt;new&gt;". Products with the same normalised title are one "title" with several images,
/// ordered by product id.
/// <para>
/// Built from <c>styles.csv</c> and a split's ids, it reproduces the shipped fashion-product-images files:
/// <see cref="BuildTriplets"/> gives <c>triplets.train.tsv</c> line for line, and <see cref="BuildQueries"/> gives
/// the same references, and targets of the same form, as <c>queries.val.tsv</c> (its random choices came from an
/// unknown generator, so which neighbour each query picks differs).
/// </para>
/// </summary>
internal sealed class CatalogueTripletBuilder
{
    private readonly string[] _titles;                                   // distinct normalised titles, ordinal order
    private readonly Dictionary<string, List<string>> _imagesByTitle;    // images of a title, by product id
    private readonly Dictionary<string, SortedDictionary<string, string>> _neighbours; // title -> neighbour title -> text

    /// <summary>Indexes <paramref name="products"/> (one split of the catalogue).</summary>
    /// <exception cref="ArgumentException">Two products have the same id.</exception>
    public CatalogueTripletBuilder(IEnumerable<CatalogueProduct> products)
    {
        ArgumentNullException.ThrowIfNull(products);
        var ordered = products.ToList();
        var duplicate = ordered.GroupBy(p => p.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"Two catalogue products have the id '{duplicate.Key}'.", nameof(products));
        ordered.Sort((a, b) => CompareIds(a.Id, b.Id));

        _imagesByTitle = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var product in ordered)
        {
            var title = NormaliseTitle(product.Title);
            if (title.Length == 0) continue;
            if (!_imagesByTitle.TryGetValue(title, out var images)) _imagesByTitle[title] = images = [];
            images.Add(product.ImageId);
        }
        _titles = _imagesByTitle.Keys.Order(StringComparer.Ordinal).ToArray();
        GalleryImageIds = ordered.Where(p => NormaliseTitle(p.Title).Length > 0).Select(p => p.ImageId).ToArray();
        _neighbours = FindNeighbours(_titles);
    }

    /// <summary>Every image of the catalogue with a non-empty title, in product-id order: the evaluation gallery.</summary>
    public IReadOnlyList<string> GalleryImageIds { get; }

    /// <summary>How many distinct normalised titles the catalogue has.</summary>
    public int TitleCount => _titles.Length;

    /// <summary>How many ordered pairs of titles differ in one alphabetic word.</summary>
    public int NeighbourPairCount => _neighbours.Values.Sum(n => n.Count);

    /// <summary>Lower case, every character other than a-z and 0-9 turned into a space, spaces collapsed and trimmed.</summary>
    public static string NormaliseTitle(string title)
    {
        ArgumentNullException.ThrowIfNull(title);
        var text = new StringBuilder(title.Length);
        foreach (var c in title.ToLowerInvariant())
        {
            var keep = c is >= 'a' and <= 'z' or >= '0' and <= '9';
            if (keep) text.Append(c);
            else if (text.Length > 0 && text[^1] != ' ') text.Append(' ');
        }
        return text.ToString().TrimEnd();
    }

    /// <summary>
    /// Training triplets: for each title (in ordinal order), each neighbour title (in ordinal order) and each image
    /// of the title, the triplet to the neighbour's first image. Involves no randomness.
    /// </summary>
    public IReadOnlyList<CompositionTriplet> BuildTriplets()
    {
        var triplets = new List<CompositionTriplet>();
        foreach (var title in _titles)
        {
            if (!_neighbours.TryGetValue(title, out var neighbours)) continue;
            foreach (var (neighbour, text) in neighbours)
            {
                var target = _imagesByTitle[neighbour][0];
                foreach (var image in _imagesByTitle[title]) triplets.Add(new CompositionTriplet(image, text, target));
            }
        }
        return triplets;
    }

    /// <summary>
    /// Evaluation queries, one per image that has a neighbour title: the neighbour is drawn uniformly under
    /// <paramref name="seed"/>, the targets are every image with the neighbour title, and the queries are shuffled
    /// under the same seed (the form of <c>queries.val.tsv</c>).
    /// </summary>
    public IReadOnlyList<CompositionQuery> BuildQueries(int seed)
    {
        var random = new Random(seed);
        var queries = new List<CompositionQuery>();
        foreach (var title in _titles)
        {
            if (!_neighbours.TryGetValue(title, out var neighbours)) continue;
            var choices = neighbours.ToArray();
            foreach (var image in _imagesByTitle[title])
            {
                var (neighbour, text) = choices[random.Next(choices.Length)];
                queries.Add(new CompositionQuery(image, text, _imagesByTitle[neighbour]));
            }
        }
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(queries));
        return queries;
    }

    /// <summary>Every evaluation query there is: each image with each neighbour title, in the order of <see cref="BuildTriplets"/>.</summary>
    public IReadOnlyList<CompositionQuery> BuildAllQueries()
    {
        var queries = new List<CompositionQuery>();
        foreach (var title in _titles)
        {
            if (!_neighbours.TryGetValue(title, out var neighbours)) continue;
            foreach (var (neighbour, text) in neighbours)
            {
                foreach (var image in _imagesByTitle[title]) queries.Add(new CompositionQuery(image, text, _imagesByTitle[neighbour]));
            }
        }
        return queries;
    }

    /// <summary>
    /// A dataset from two splits of a catalogue: triplets from <paramref name="train"/>, queries from
    /// <paramref name="eval"/> (<see cref="BuildQueries"/> under <paramref name="seed"/>, or all of them), and the
    /// gallery of every evaluation image.
    /// </summary>
    public static CompositionDataset BuildDataset(
        string name,
        IEnumerable<CatalogueProduct> train,
        IEnumerable<CatalogueProduct> eval,
        ImageLocator images,
        int seed,
        bool allQueries = false)
    {
        var evalBuilder = new CatalogueTripletBuilder(eval);
        var queries = allQueries ? evalBuilder.BuildAllQueries() : evalBuilder.BuildQueries(seed);
        return new CompositionDataset(name, new CatalogueTripletBuilder(train).BuildTriplets(), queries, evalBuilder.GalleryImageIds, images);
    }

    /// <summary>Orders product ids: all-digit ids numerically first, then the others in ordinal order.</summary>
    public static int CompareIds(string a, string b)
    {
        bool numericA = IsDigits(a), numericB = IsDigits(b);
        if (numericA != numericB) return numericA ? -1 : 1;
        if (numericA)
        {
            var (ta, tb) = (a.TrimStart('0'), b.TrimStart('0'));
            if (ta.Length != tb.Length) return ta.Length.CompareTo(tb.Length);
            var byValue = string.CompareOrdinal(ta, tb);
            if (byValue != 0) return byValue;
        }
        return string.CompareOrdinal(a, b);

        static bool IsDigits(string s) => s.Length > 0 && s.All(char.IsAsciiDigit);
    }

    /// <summary>
    /// Titles that differ in exactly one position fall in the same bucket when that position is masked; within
    /// a bucket every ordered pair whose two differing words are alphabetic is a neighbour pair.
    /// </summary>
    private static Dictionary<string, SortedDictionary<string, string>> FindNeighbours(IEnumerable<string> titles)
    {
        var buckets = new Dictionary<string, List<(string Title, string Word)>>(StringComparer.Ordinal);
        foreach (var title in titles)
        {
            var words = title.Split(' ');
            for (var k = 0; k < words.Length; k++)
            {
                var masked = (string[])words.Clone();
                masked[k] = "\0";
                var key = string.Join(' ', masked);
                if (!buckets.TryGetValue(key, out var members)) buckets[key] = members = [];
                members.Add((title, words[k]));
            }
        }

        var neighbours = new Dictionary<string, SortedDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var members in buckets.Values)
        {
            var alphabetic = members.Where(m => m.Word.All(char.IsAsciiLetter)).ToArray();
            foreach (var a in alphabetic)
            {
                foreach (var b in alphabetic)
                {
                    if (a.Title == b.Title) continue;
                    if (!neighbours.TryGetValue(a.Title, out var of))
                        neighbours[a.Title] = of = new SortedDictionary<string, string>(StringComparer.Ordinal);
                    of[b.Title] = TirgCaptionText.Replacement(a.Word, b.Word);
                }
            }
        }
        return neighbours;
    }
}
