using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using static FashionSearchWeb.Tests.SearchApiTests;

namespace FashionSearchWeb.Tests;

/// <summary>The service before it is ready (503 with Retry-After everywhere but the page), after a failed start, and
/// how it finds a model.</summary>
[Collection(TinyCatalogueCollection.Name)]
public sealed class StartupTests(TinyCatalogue catalogue)
{
    [Fact]
    public async Task While_starting_the_api_answers_503_problems_with_retry_after_and_health_says_starting()
    {
        await using var factory = new SearchAppFactory(catalogue, startup: false);
        var client = factory.CreateClient();

        var health = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal("starting", (await health.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        Assert.Equal(TimeSpan.FromSeconds(5), health.Headers.RetryAfter?.Delta);

        HttpResponseMessage[] responses =
        [
            await client.PostAsJsonAsync("/api/search", new { referenceId = TinyCatalogue.Id(0, 0), text = "replace red with blue" }),
            await client.PostAsync("/api/search", Multipart(catalogue.Bytes(TinyCatalogue.Id(0, 0)), "a.jpg", "image/jpeg", "replace red with blue")),
            await client.GetAsync("/api/images/" + TinyCatalogue.Id(0, 0)),
            await client.GetAsync("/api/gallery/random?n=3"),
            await client.GetAsync("/api/examples"),
        ];
        foreach (var response in responses)
        {
            await AssertProblem(response, HttpStatusCode.ServiceUnavailable, "Service is starting", "still starting");
            Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        }
        // The page itself is served, so it can show the progress.
        Assert.Contains("Like this, but", await client.GetStringAsync("/"));
    }

    [Fact]
    public async Task A_missing_model_file_fails_the_start_with_a_clear_message()
    {
        var missing = Path.Combine(catalogue.Root, "no-such-model.mlcr");
        await using var factory = new SearchAppFactory(catalogue, model: missing);
        var client = await factory.ReadyClientAsync(expected: "failed");
        var health = await (await client.GetAsync("/health")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("no-such-model.mlcr", health.GetProperty("message").GetString());
        var search = await client.PostAsJsonAsync("/api/search", new { referenceId = TinyCatalogue.Id(0, 0), text = "replace red with blue" });
        await AssertProblem(search, HttpStatusCode.ServiceUnavailable, "Service failed to start", "no-such-model.mlcr");
    }

    [Fact]
    public void The_newest_saved_model_under_runs_is_chosen()
    {
        var runs = Directory.CreateDirectory(Path.Combine(catalogue.Root, "runs-" + Guid.NewGuid().ToString("N"))).FullName;
        Assert.Null(StartupWorker.NewestSavedModel(runs));
        var old = Path.Combine(runs, "2026-01-01", "models", "baseline-seed1.mlcr");
        var recent = Path.Combine(runs, "2026-02-01", "models", "uncertainty-seed1.mlcr");
        foreach (var file in new[] { old, recent })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, "model");
        }
        File.WriteAllText(Path.Combine(runs, "2026-02-01", "models", "notes.txt"), "not a model");
        File.SetLastWriteTimeUtc(old, DateTime.UtcNow.AddDays(-2));
        File.SetLastWriteTimeUtc(recent, DateTime.UtcNow.AddDays(-1));
        Assert.Equal(recent, StartupWorker.NewestSavedModel(runs));
    }
}
