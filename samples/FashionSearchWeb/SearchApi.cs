using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.ML.Data;
using MLNet.ComposedRetrieval;
using SkiaSharp;

namespace FashionSearchWeb;

/// <summary>The HTTP API: search, gallery images, random gallery images, example queries and health.</summary>
internal static partial class SearchApi
{
    /// <summary>The largest upload accepted.</summary>
    public const long MaxImageBytes = 10 * 1024 * 1024;

    /// <summary>The longest modification text accepted.</summary>
    public const int MaxTextLength = 500;

    /// <summary>The default and the largest number of results.</summary>
    public const int DefaultK = 24, MaxK = 100;

    /// <summary>Decoded reference images larger than this (width x height) are refused: a small file can hold a huge image.</summary>
    public const long MaxImagePixels = 16_000_000;

    /// <summary>Seconds a client should wait before retrying while the service starts.</summary>
    public const int RetryAfterSeconds = 5;

    public static void MapSearchApi(this WebApplication app)
    {
        var api = app.MapGroup("/api");
        api.MapPost("/search", SearchAsync)
            .WithName("Search")
            .WithSummary("Composed search: a reference image (upload or gallery id) plus a modification text.")
            .WithDescription("multipart/form-data with fields image (file) or referenceId, text, k, precision; or JSON " +
                             "{\"referenceId\", \"text\", \"k\", \"precision\"}. k: 1-100 (default 24). precision: single, half or int8.")
            // The body is read by the handler (its errors are the API's own problems), so it is described here.
            .AddOpenApiOperationTransformer(SearchApiDocument.DescribeSearchBody)
            .Produces<SearchResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .DisableAntiforgery();
        api.MapGet("/images/{id}", GetImage)
            .WithName("GetImage")
            .WithSummary("A gallery image by id.");
        api.MapGet("/gallery/random", RandomGallery)
            .WithName("RandomGalleryImages")
            .WithSummary("n random gallery images (1-100, default 12) to pick a reference from.");
        api.MapGet("/examples", Examples)
            .WithName("ExampleQueries")
            .WithSummary("n random val-set queries among gallery images, with their ground-truth targets.");
        app.MapGet("/health", Health)
            .WithName("Health")
            .WithSummary("starting (with stage, count and ETA), ready or failed; 503 until ready.");
    }

    /// <summary>The JSON form of a search request.</summary>
    /// <param name="ReferenceId">A gallery image id.</param>
    /// <param name="Text">The requested change.</param>
    /// <param name="K">How many results (1-100, default 24).</param>
    /// <param name="Precision">single (default), half or int8.</param>
    public sealed record SearchRequest(string? ReferenceId, string? Text, int? K, string? Precision);

    /// <summary>One result.</summary>
    public sealed record SearchHit(string Id, float Score, string? Title, string ImageUrl, bool IsTarget);

    /// <summary>Milliseconds spent per stage.</summary>
    public sealed record StageTimings(double Decode, double Encoders, double Search, double Total);

    /// <summary>A search's answer.</summary>
    public sealed record SearchResponse(string? ReferenceId, string? ReferenceTitle, string Text, int K, string Precision,
        IReadOnlyList<SearchHit> Results, IReadOnlyList<string> GroundTruth, StageTimings TimingsMs);

    /// <summary>A gallery image for the picker.</summary>
    public sealed record GalleryItem(string Id, string? Title, string ImageUrl);

    /// <summary>A val-set query for the page.</summary>
    public sealed record ExampleItem(string ReferenceId, string? ReferenceTitle, string ImageUrl, string Text, IReadOnlyList<string> Targets);

    private static async Task<IResult> SearchAsync(HttpRequest request, SearchService service, CancellationToken cancellationToken)
    {
        if (service.Backend is not { } backend) return NotReady(service);
        var total = Stopwatch.StartNew();

        string? referenceId, text, kText, precisionText;
        IFormFile? upload = null;
        int? k = null;
        if (request.HasFormContentType)
        {
            IFormCollection form;
            try
            {
                form = await request.ReadFormAsync(cancellationToken);
            }
            catch (Exception e) when (e is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } or InvalidDataException)
            {
                return TooLarge();
            }
            upload = form.Files.GetFile("image");
            referenceId = Field(form, "referenceId");
            text = Field(form, "text");
            kText = Field(form, "k");
            precisionText = Field(form, "precision");
            if (kText is not null)
            {
                if (!int.TryParse(kText, out var parsed)) return Problem(400, "k out of range", $"k must be an integer from 1 to {MaxK}, got '{kText}'.");
                k = parsed;
            }
        }
        else if (request.HasJsonContentType())
        {
            SearchRequest? body;
            try
            {
                body = await request.ReadFromJsonAsync<SearchRequest>(cancellationToken);
            }
            catch (JsonException e)
            {
                return Problem(400, "Malformed JSON", $"The request body is not a valid search request: {e.Message}");
            }
            if (body is null) return Problem(400, "Malformed JSON", "The request body is empty.");
            (referenceId, text, k, precisionText) = (body.ReferenceId, body.Text, body.K, body.Precision);
        }
        else
        {
            return Problem(415, "Unsupported request", "Send multipart/form-data (image file or referenceId, text, k, precision) or JSON {referenceId, text, k, precision}.");
        }

        if (string.IsNullOrWhiteSpace(text)) return Problem(400, "Text is empty", "Type the change you want, for example \"replace blue with red\".");
        text = text.Trim();
        if (text.Length > MaxTextLength) return Problem(400, "Text too long", $"The text has {text.Length} characters; at most {MaxTextLength} are accepted.");
        int topK = k ?? DefaultK;
        if (topK is < 1 or > MaxK) return Problem(400, "k out of range", $"k must be from 1 to {MaxK}, got {topK}.");
        var precisionName = precisionText ?? "single";
        if (!WebOptions.Precisions.TryGetValue(precisionName, out var precision))
            return Problem(400, "Unknown precision", $"precision must be one of {string.Join(", ", WebOptions.Precisions.Keys)}, got '{precisionName}'.");

        // Decode: an upload, or the gallery file of a validated, known id (looked up, never used as a path).
        var clock = Stopwatch.StartNew();
        MLImage image;
        if (upload is not null)
        {
            if (upload.Length > MaxImageBytes) return TooLarge();
            if (upload.Length == 0) return NotAnImage(upload.FileName, "the file is empty");
            using var stream = new MemoryStream((int)upload.Length);
            await upload.CopyToAsync(stream, cancellationToken);
            if (Decode(stream.GetBuffer().AsMemory(0, (int)stream.Length), upload.FileName, out var decoded) is { } refused) return refused;
            image = decoded!;
            referenceId = null;
        }
        else if (referenceId is not null)
        {
            if (ValidateId(referenceId) is { } invalid) return invalid;
            if (!backend.Gallery.TryFindFile(referenceId, out var file)) return UnknownId(referenceId);
            image = MLImage.CreateFromFile(file);
        }
        else
        {
            return Problem(400, "No reference image", "Upload an image (multipart field 'image') or give a gallery image id (referenceId).");
        }
        var decodeMs = clock.Elapsed.TotalMilliseconds;

        using (image)
        {
            clock.Restart();
            var query = await backend.Batcher.EmbedAsync(image, text, cancellationToken);
            var encodersMs = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            var found = backend.Engine(precision).Search(query, topK, referenceId);
            var searchMs = clock.Elapsed.TotalMilliseconds;

            var targets = referenceId is null ? [] : backend.Targets(referenceId, text);
            var hits = found.Select(r => new SearchHit(r.ImageId, r.Score, backend.Title(r.ImageId), ImageUrl(r.ImageId), targets.Contains(r.ImageId))).ToList();
            return TypedResults.Ok(new SearchResponse(referenceId, referenceId is null ? null : backend.Title(referenceId), text, topK, precisionName.ToLowerInvariant(), hits, targets,
                new StageTimings(Round(decodeMs), Round(encodersMs), Round(searchMs), Round(total.Elapsed.TotalMilliseconds))));
        }
    }

    private static IResult GetImage(string id, SearchService service)
    {
        if (service.Backend is not { } backend) return NotReady(service);
        if (ValidateId(id) is { } invalid) return invalid;
        if (!backend.Gallery.TryFindFile(id, out var file)) return UnknownId(id);
        var contentType = Path.GetExtension(file).ToLowerInvariant() switch
        {
            ".jpg" or ".jpeg" => "image/jpeg",
            ".png" => "image/png",
            ".gif" => "image/gif",
            ".bmp" => "image/bmp",
            ".webp" => "image/webp",
            _ => "application/octet-stream",
        };
        return TypedResults.PhysicalFile(file, contentType, lastModified: File.GetLastWriteTimeUtc(file));
    }

    private static IResult RandomGallery(SearchService service, int? n)
    {
        if (service.Backend is not { } backend) return NotReady(service);
        int count = n ?? 12;
        if (count is < 1 or > MaxK) return Problem(400, "n out of range", $"n must be from 1 to {MaxK}, got {count}.");
        var ids = backend.Gallery.Ids.ToArray();
        Random.Shared.Shuffle(ids);
        return TypedResults.Ok(ids.Take(count).Select(id => new GalleryItem(id, backend.Title(id), ImageUrl(id))).ToList());
    }

    private static IResult Examples(SearchService service, int? n)
    {
        if (service.Backend is not { } backend) return NotReady(service);
        int count = n ?? 6;
        if (count is < 1 or > MaxK) return Problem(400, "n out of range", $"n must be from 1 to {MaxK}, got {count}.");
        var examples = backend.Examples;
        if (examples.Count == 0) return TypedResults.Ok(new List<ExampleItem>());
        var picked = examples.ToArray();
        Random.Shared.Shuffle(picked);
        return TypedResults.Ok(picked.Take(count).Select(e => new ExampleItem(e.ReferenceId, backend.Title(e.ReferenceId), ImageUrl(e.ReferenceId), e.Text, e.Targets)).ToList());
    }

    private static IResult Health(SearchService service, HttpResponse response)
    {
        var snapshot = service.Status.Snapshot;
        if (snapshot.Status == "ready") return TypedResults.Ok(snapshot);
        if (snapshot.Status == "starting") response.Headers.RetryAfter = RetryAfterSeconds.ToString();
        return TypedResults.Json(snapshot, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>Decodes an upload; the problem to answer when it is not an image or decodes to more than
    /// <see cref="MaxImagePixels"/>, else null.</summary>
    private static IResult? Decode(ReadOnlyMemory<byte> bytes, string fileName, out MLImage? image)
    {
        image = null;
        using (var data = SKData.CreateCopy(bytes.Span))
        using (var codec = SKCodec.Create(data))
        {
            if (codec is null) return NotAnImage(fileName, "it is not an image format the service reads (JPEG, PNG, GIF, BMP, WebP)");
            if ((long)codec.Info.Width * codec.Info.Height > MaxImagePixels)
                return Problem(413, "Image too large",
                    $"'{fileName}' is {codec.Info.Width} x {codec.Info.Height} pixels; at most {MaxImagePixels / 1_000_000} megapixels are accepted.");
        }
        try
        {
            using var stream = new MemoryStream(bytes.ToArray(), writable: false);
            image = MLImage.CreateFromStream(stream);
            return null;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or InvalidDataException)
        {
            return NotAnImage(fileName, "it could not be decoded (" + e.Message + ")");
        }
    }

    private static string? Field(IFormCollection form, string name) => form.TryGetValue(name, out var value) && value.Count > 0 ? value[0] : null;

    private static string ImageUrl(string id) => "/api/images/" + Uri.EscapeDataString(id);

    private static double Round(double ms) => Math.Round(ms, 2);

    private static IResult? ValidateId(string id) => IdPattern().IsMatch(id) && id is not ("." or "..")
        ? null
        : Problem(400, "Invalid image id", "An image id is 1-128 letters, digits, '.', '_' or '-'.");

    [GeneratedRegex("^[A-Za-z0-9._-]{1,128}$")]
    private static partial Regex IdPattern();

    private static IResult NotReady(SearchService service)
    {
        var status = service.Status.Snapshot;
        if (status.Status == "failed")
            return Problem(503, "Service failed to start", status.Message ?? "Startup failed; see the server log.");
        var progress = status.Total is { } total ? $" ({status.Done}/{total}{(status.EtaSeconds is { } eta ? $", about {Math.Ceiling(eta)} s left" : "")})" : "";
        return new RetryAfterResult(Problem(503, "Service is starting", $"The service is still starting: {status.Stage}{progress}. Retry in a few seconds."));
    }

    private static IResult TooLarge() =>
        Problem(413, "Image too large", $"The image is larger than {MaxImageBytes / (1024 * 1024)} MB; send a smaller one.");

    private static IResult NotAnImage(string fileName, string why) =>
        Problem(415, "Not an image", $"'{fileName}' is not a usable image: {why}.");

    private static IResult UnknownId(string id) =>
        Problem(404, "Unknown image id", $"The gallery has no image with id '{id}'.");

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(new ProblemDetails { Status = status, Title = title, Detail = detail });

    /// <summary>A problem response with a Retry-After header.</summary>
    private sealed class RetryAfterResult(IResult inner) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString();
            return inner.ExecuteAsync(httpContext);
        }
    }
}
