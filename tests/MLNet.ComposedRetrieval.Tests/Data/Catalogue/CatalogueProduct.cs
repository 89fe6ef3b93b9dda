using MLNet.ComposedRetrieval.Data;

namespace MLNet.ComposedRetrieval.Tests.Data.Catalogue;

/// <summary>One row of a product catalogue, as <see cref="CatalogueTripletBuilder"/> needs it.</summary>
/// <param name="Id">The product id (distinct; numeric ids order numerically).</param>
/// <param name="ImageId">The product image's id for an <see cref="ImageLocator"/>, for example <c>1163.jpg</c>.</param>
/// <param name="Title">The product title as the catalogue writes it.</param>
internal sealed record CatalogueProduct(string Id, string ImageId, string Title);
