namespace MLNet.ComposedRetrieval.Data;

/// <summary>The three FashionIQ product categories; each is trained and evaluated on its own.</summary>
internal enum FashionIqCategory
{
    /// <summary>Dresses (<c>dress</c> in file names).</summary>
    Dress,

    /// <summary>Shirts (<c>shirt</c>).</summary>
    Shirt,

    /// <summary>Tops and tees (<c>toptee</c>).</summary>
    TopTee,
}
