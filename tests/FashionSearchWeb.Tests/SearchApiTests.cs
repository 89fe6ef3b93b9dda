using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace FashionSearchWeb.Tests;

/// <summary>Every route and every error of the HTTP API, in-process on the tiny catalogue.</summary>
[Collection(TinyCatalogueCollection.Name)]
public sealed class SearchApiTests(TinyCatalogue catalogue) : IAsyncLifetime
{
    private readonly SearchAppFactory _factory = new(catalogue);
    private HttpClient _client = null!;

    private static readonly string Red = TinyCatalogue.Id(0, 0), Blue = TinyCatalogue.Id(2, 0);

    public async Task InitializeAsync() => _client = await _factory.ReadyClientAsync();

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task Health_is_ready_and_names_the_model_and_gallery()
    {
        var response = await _client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var health = await Body(response);
        Assert.Equal("ready", health.GetProperty("status").GetString());
        var message = health.GetProperty("message").GetString()!;
        Assert.Contains(catalogue.Model, message);
        Assert.Contains($"{catalogue.Count} images", message);
    }

    [Fact]
    public async Task Search_by_gallery_id_returns_k_ranked_results_with_titles_urls_ground_truth_and_stage_times()
    {
        var response = await _client.PostAsJsonAsync("/api/search", new { referenceId = Red, text = "replace red with blue", k = 5 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Body(response);
        var results = body.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(5, results.Count);
        Assert.DoesNotContain(results, r => r.GetProperty("id").GetString() == Red); // the reference is left out
        var scores = results.Select(r => r.GetProperty("score").GetSingle()).ToList();
        Assert.Equal(scores.OrderByDescending(s => s), scores);
        foreach (var result in results)
        {
            var id = result.GetProperty("id").GetString()!;
            var (colour, shape) = (int.Parse(id) % 10, (int.Parse(id) - 1000) / 10);
            Assert.Equal(TinyCatalogue.Title(colour, shape), result.GetProperty("title").GetString());
            Assert.Equal("/api/images/" + id, result.GetProperty("imageUrl").GetString());
            Assert.Equal(id == Blue, result.GetProperty("isTarget").GetBoolean());
        }
        Assert.Equal([Blue], body.GetProperty("groundTruth").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("single", body.GetProperty("precision").GetString());
        var timings = body.GetProperty("timingsMs");
        foreach (var stage in new[] { "decode", "encoders", "search" })
            Assert.InRange(timings.GetProperty(stage).GetDouble(), 0, timings.GetProperty("total").GetDouble());
    }

    [Fact]
    public async Task Search_defaults_to_24_results_and_accepts_k_100()
    {
        var byDefault = await Body(await _client.PostAsJsonAsync("/api/search", new { referenceId = Red, text = "replace red with blue" }));
        Assert.Equal(24, byDefault.GetProperty("k").GetInt32());
        Assert.Equal(catalogue.Count - 1, byDefault.GetProperty("results").GetArrayLength()); // fewer in a small gallery
        var hundred = await _client.PostAsJsonAsync("/api/search", new { referenceId = Red, text = "replace red with blue", k = 100 });
        Assert.Equal(HttpStatusCode.OK, hundred.StatusCode);
    }

    [Fact]
    public async Task An_uploaded_photo_ranks_exactly_as_the_same_gallery_image()
    {
        var upload = await _client.PostAsync("/api/search", Multipart(catalogue.Bytes(Red), "shirt.jpg", "image/jpeg", "replace red with blue", k: "18"));
        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        var uploaded = Ranking(await Body(upload));
        var byId = Ranking(await Body(await _client.PostAsJsonAsync("/api/search", new { referenceId = Red, text = "replace red with blue", k = 17 })));
        // The upload is not a gallery id, so nothing is excluded: the same ranking with the image itself somewhere in it.
        Assert.Equal(byId, uploaded.Where(r => r.Id != Red).ToList());
    }

    [Theory]
    [InlineData("half", 0.02)]
    [InlineData("int8", 0.2)]
    public async Task Reduced_precision_searches_score_close_to_float32(string precision, double tolerance)
    {
        var exact = Ranking(await Body(await _client.PostAsJsonAsync("/api/search", new { referenceId = Red, text = "replace red with green", k = 17 })));
        var response = await _client.PostAsJsonAsync("/api/search", new { referenceId = Red, text = "replace red with green", k = 17, precision });
        var body = await Body(response);
        Assert.Equal(precision, body.GetProperty("precision").GetString());
        var reduced = Ranking(body).ToDictionary(r => r.Id, r => r.Score);
        Assert.Equal(exact.Select(r => r.Id).Order(), reduced.Keys.Order());
        Assert.All(exact, r => Assert.InRange(reduced[r.Id], r.Score - tolerance, r.Score + tolerance));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    public async Task Concurrent_searches_get_the_answers_they_get_alone(int queryBatch)
    {
        await using var factory = new SearchAppFactory(catalogue, queryBatch: queryBatch);
        var client = await factory.ReadyClientAsync();
        var texts = Enumerable.Range(0, 16).Select(i => $"replace {TinyCatalogue.Colours[i % 6]} with {TinyCatalogue.Colours[(i + 1) % 6]}").ToList();
        var alone = new List<List<(string Id, float Score)>>();
        foreach (var text in texts)
            alone.Add(Ranking(await Body(await client.PostAsJsonAsync("/api/search", new { referenceId = Red, text, k = 10 }))));
        var together = await Task.WhenAll(texts.Select(async text =>
            Ranking(await Body(await client.PostAsJsonAsync("/api/search", new { referenceId = Red, text, k = 10 })))));
        // Composed in one batch, a query's floats may differ from its lone run in the last bits (another GEMM blocking):
        // the same scores up to 1e-3, so the same ranking except where two scores are that close.
        for (int i = 0; i < texts.Count; i++)
            foreach (var (first, second) in alone[i].Zip(together[i]))
            {
                Assert.InRange(second.Score, first.Score - 1e-3f, first.Score + 1e-3f);
                if (first.Id != second.Id) Assert.Contains(alone[i], r => r.Id == second.Id && Math.Abs(r.Score - first.Score) < 1e-3f);
            }
    }

    [Fact]
    public async Task Images_are_served_by_id()
    {
        var response = await _client.GetAsync("/api/images/" + Blue);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/jpeg", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(catalogue.Bytes(Blue), await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("..")]
    [InlineData("..%2F..%2Fetc%2Fpasswd")]
    [InlineData("a%20b")]
    [InlineData("%2Fetc%2Fpasswd")]
    public async Task Image_ids_that_are_not_ids_are_refused(string id)
    {
        var response = await _client.GetAsync("/api/images/" + id);
        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{id}: {response.StatusCode}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("root:", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Unknown_ids_are_404_problems()
    {
        await AssertProblem(await _client.GetAsync("/api/images/999999"), HttpStatusCode.NotFound, "Unknown image id", "999999");
        await AssertProblem(await _client.PostAsJsonAsync("/api/search", new { referenceId = "999999", text = "replace red with blue" }),
            HttpStatusCode.NotFound, "Unknown image id", "999999");
        await AssertProblem(await _client.PostAsJsonAsync("/api/search", new { referenceId = "../images/1000", text = "replace red with blue" }),
            HttpStatusCode.BadRequest, "Invalid image id", "letters, digits");
    }

    [Fact]
    public async Task A_text_file_renamed_jpg_is_not_an_image_and_the_service_keeps_serving()
    {
        var response = await _client.PostAsync("/api/search", Multipart("just some text, not a photo"u8.ToArray(), "photo.jpg", "image/jpeg", "replace red with blue"));
        await AssertProblem(response, HttpStatusCode.UnsupportedMediaType, "Not an image", "photo.jpg");
        var next = await _client.PostAsJsonAsync("/api/search", new { referenceId = Red, text = "replace red with blue" });
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task An_image_over_10_MB_is_refused()
    {
        var big = new byte[10 * 1024 * 1024 + 1];
        catalogue.Bytes(Red).CopyTo(big, 0);
        await AssertProblem(await _client.PostAsync("/api/search", Multipart(big, "huge.jpg", "image/jpeg", "replace red with blue")),
            HttpStatusCode.RequestEntityTooLarge, "Image too large", "10 MB");
    }

    [Fact]
    public async Task A_small_file_that_decodes_to_a_huge_image_is_refused()
    {
        using var bitmap = new SkiaSharp.SKBitmap(5000, 3400);
        bitmap.Erase(SkiaSharp.SKColors.Red);
        using var png = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 1);
        Assert.True(png.Size < SearchApi.MaxImageBytes);
        await AssertProblem(await _client.PostAsync("/api/search", Multipart(png.ToArray(), "huge.png", "image/png", "replace red with blue")),
            HttpStatusCode.RequestEntityTooLarge, "Image too large", "5000 x 3400 pixels");
    }

    [Theory]
    [InlineData("", "Text is empty")]
    [InlineData("   ", "Text is empty")]
    [InlineData(null, "Text is empty")]
    public async Task Empty_text_is_refused(string? text, string title) =>
        await AssertProblem(await _client.PostAsJsonAsync("/api/search", new { referenceId = Red, text }), HttpStatusCode.BadRequest, title, "change");

    [Fact]
    public async Task Text_over_500_characters_is_refused_and_500_is_accepted()
    {
        await AssertProblem(await _client.PostAsJsonAsync("/api/search", new { referenceId = Red, text = new string('a', 501) }),
            HttpStatusCode.BadRequest, "Text too long", "501");
        Assert.Equal(HttpStatusCode.OK, (await _client.PostAsJsonAsync("/api/search", new { referenceId = Red, text = new string('a', 500) })).StatusCode);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(101)]
    [InlineData(-3)]
    public async Task K_out_of_range_is_refused(int k)
    {
        await AssertProblem(await _client.PostAsJsonAsync("/api/search", new { referenceId = Red, text = "replace red with blue", k }),
            HttpStatusCode.BadRequest, "k out of range", "1 to 100");
        await AssertProblem(await _client.PostAsync("/api/search", Multipart(catalogue.Bytes(Red), "a.jpg", "image/jpeg", "replace red with blue", k.ToString())),
            HttpStatusCode.BadRequest, "k out of range", "1 to 100");
    }

    [Fact]
    public async Task Unknown_precision_malformed_json_missing_reference_and_other_content_types_are_refused()
    {
        await AssertProblem(await _client.PostAsJsonAsync("/api/search", new { referenceId = Red, text = "replace red with blue", precision = "double" }),
            HttpStatusCode.BadRequest, "Unknown precision", "single, half, int8");
        await AssertProblem(await _client.PostAsync("/api/search", new StringContent("{\"text\": ", Encoding.UTF8, "application/json")),
            HttpStatusCode.BadRequest, "Malformed JSON", "not a valid search request");
        await AssertProblem(await _client.PostAsJsonAsync("/api/search", new { text = "replace red with blue" }),
            HttpStatusCode.BadRequest, "No reference image", "referenceId");
        await AssertProblem(await _client.PostAsync("/api/search", new StringContent("text=red", Encoding.UTF8, "text/plain")),
            HttpStatusCode.UnsupportedMediaType, "Unsupported request", "multipart/form-data");
    }

    [Fact]
    public async Task Random_gallery_images_are_distinct_gallery_ids_and_n_is_bounded()
    {
        var items = await Body(await _client.GetAsync("/api/gallery/random?n=5"));
        var ids = items.EnumerateArray().Select(i => i.GetProperty("id").GetString()!).ToList();
        Assert.Equal(5, ids.Distinct().Count());
        Assert.All(ids, id => Assert.True(File.Exists(Path.Combine(catalogue.Images, id + ".jpg"))));
        Assert.Equal(catalogue.Count, (await Body(await _client.GetAsync("/api/gallery/random?n=100"))).GetArrayLength());
        await AssertProblem(await _client.GetAsync("/api/gallery/random?n=0"), HttpStatusCode.BadRequest, "n out of range", "1 to 100");
        await AssertProblem(await _client.GetAsync("/api/gallery/random?n=101"), HttpStatusCode.BadRequest, "n out of range", "1 to 100");
    }

    [Fact]
    public async Task Example_queries_come_from_the_val_file_with_their_targets()
    {
        var example = Assert.Single((await Body(await _client.GetAsync("/api/examples?n=3"))).EnumerateArray());
        Assert.Equal(Red, example.GetProperty("referenceId").GetString());
        Assert.Equal("replace red with blue", example.GetProperty("text").GetString());
        Assert.Equal([Blue], example.GetProperty("targets").EnumerateArray().Select(t => t.GetString()));
    }

    [Fact]
    public async Task The_page_and_the_OpenAPI_document_are_served()
    {
        var page = await _client.GetStringAsync("/");
        Assert.Contains("Like this, but", page);
        Assert.Contains("app.js", page);
        var openApi = await Body(await _client.GetAsync("/openapi/v1.json"));
        var paths = openApi.GetProperty("paths");
        foreach (var path in new[] { "/api/search", "/api/images/{id}", "/api/gallery/random", "/api/examples", "/health" })
            Assert.True(paths.TryGetProperty(path, out _), path);
        var redirect = await _factory.CreateClient(new() { AllowAutoRedirect = false }).GetAsync("/openapi");
        Assert.Equal("/openapi/v1.json", redirect.Headers.Location?.OriginalString);
    }

    internal static MultipartFormDataContent Multipart(byte[] file, string fileName, string mediaType, string? text, string? k = null)
    {
        var form = new MultipartFormDataContent();
        var image = new ByteArrayContent(file);
        image.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        form.Add(image, "image", fileName);
        if (text is not null) form.Add(new StringContent(text), "text");
        if (k is not null) form.Add(new StringContent(k), "k");
        return form;
    }

    internal static async Task<JsonElement> Body(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    internal static async Task AssertProblem(HttpResponseMessage response, HttpStatusCode status, string title, string detailPart)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.Equal(title, problem.GetProperty("title").GetString());
        Assert.Contains(detailPart, problem.GetProperty("detail").GetString());
        Assert.True(problem.TryGetProperty("type", out _), "an RFC 7807 problem has a type");
    }

    private static List<(string Id, float Score)> Ranking(JsonElement body) =>
        body.GetProperty("results").EnumerateArray().Select(r => (r.GetProperty("id").GetString()!, r.GetProperty("score").GetSingle())).ToList();
}
