namespace MLNet.ComposedRetrieval.Data;

/// <summary>The annotation layouts the library reads.</summary>
internal enum DatasetFormat
{
    /// <summary>Decide from the files in the folder.</summary>
    Auto,

    /// <summary>Generic triplet/query TSVs with split lists (the Fashion Product Images benchmark's layout).</summary>
    TripletTsv,

    /// <summary>FashionIQ: captions/cap.{category}.{split}.json and image_splits/.</summary>
    FashionIq,

    /// <summary>Shoes: relative_captions_shoes.json with train/eval image name lists.</summary>
    Shoes,

    /// <summary>Fashion200k in TIRG's layout: labels/*_detect_all.txt and test_queries.txt.</summary>
    Fashion200k,
}
