using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace FashionSearchWeb;

/// <summary>OpenAPI details the endpoint metadata cannot carry.</summary>
internal static class SearchApiDocument
{
    /// <summary>The search body: JSON with a gallery id, or multipart with an uploaded image.</summary>
    public static async Task DescribeSearchBody(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var json = await context.GetOrCreateSchemaAsync(typeof(SearchApi.SearchRequest), cancellationToken: cancellationToken);
        static OpenApiSchema Field(JsonSchemaType type, string description, string? format = null) =>
            new() { Type = type, Description = description, Format = format };
        var multipart = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["image"] = Field(JsonSchemaType.String, $"The reference photo (JPEG, PNG, GIF, BMP, WebP; at most {SearchApi.MaxImageBytes >> 20} MB).", "binary"),
                ["referenceId"] = Field(JsonSchemaType.String, "Or a gallery image id as the reference."),
                ["text"] = Field(JsonSchemaType.String, $"The requested change (1-{SearchApi.MaxTextLength} characters)."),
                ["k"] = Field(JsonSchemaType.Integer, $"Results to return (1-{SearchApi.MaxK}, default {SearchApi.DefaultK})."),
                ["precision"] = Field(JsonSchemaType.String, "single (default), half or int8."),
            },
            Required = new HashSet<string> { "text" },
        };
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/json"] = new() { Schema = json },
                ["multipart/form-data"] = new() { Schema = multipart },
            },
        };
    }
}
