using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FashionSearchWeb.Tests;

/// <summary>
/// The app in-process on the tiny catalogue (model, gallery, titles, val queries; its own embedding cache and runs
/// folder). <paramref name="startup"/> false leaves the service in its starting state, for the 503 tests.
/// </summary>
public sealed class SearchAppFactory(TinyCatalogue catalogue, bool startup = true, string? model = null, int queryBatch = 1)
    : WebApplicationFactory<Program>
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        var work = Directory.CreateDirectory(Path.Combine(catalogue.Root, "app-" + Guid.NewGuid().ToString("N"))).FullName;
        builder.UseSetting("urls", "http://127.0.0.1:0");
        builder.UseSetting("model", model ?? catalogue.Model);
        builder.UseSetting("gallery", catalogue.Images);
        builder.UseSetting("titles", catalogue.Titles);
        builder.UseSetting("queries", catalogue.Queries);
        builder.UseSetting("dataset", Path.Combine(work, "no-dataset"));
        builder.UseSetting("cache", Path.Combine(work, "cache"));
        builder.UseSetting("runs", Path.Combine(work, "runs"));
        builder.UseSetting("query-batch", queryBatch.ToString());
        if (!startup)
            builder.ConfigureTestServices(services =>
            {
                var worker = services.Single(s => s.ServiceType == typeof(IHostedService) && s.ImplementationType == typeof(StartupWorker));
                services.Remove(worker);
            });
    }

    /// <summary>A client once <c>/health</c> says ready (or failed), within 60 s.</summary>
    public async Task<HttpClient> ReadyClientAsync(string expected = "ready")
    {
        var client = CreateClient();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var response = await client.GetAsync("/health").ConfigureAwait(false);
            var health = await response.Content.ReadFromJsonAsync<JsonElement>(Json).ConfigureAwait(false);
            var status = health.GetProperty("status").GetString();
            if (status != "starting")
            {
                Assert.Equal(expected, status);
                return client;
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The app did not become ready within 60 s.");
            await Task.Delay(100).ConfigureAwait(false);
        }
    }
}
