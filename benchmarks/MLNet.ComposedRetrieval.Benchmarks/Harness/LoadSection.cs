using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace MLNet.ComposedRetrieval.Benchmarks.Harness;

/// <summary>
/// Load on a running FashionSearchWeb app on loopback (<c>samples/FashionSearchWeb</c>): for each client count, that
/// many concurrent clients each send a fixed number of composed queries (val-set queries by gallery id, every fourth
/// one as an uploaded JPEG instead), one after another. Prints throughput, latency percentiles, errors, the server's
/// own encoder time and, given the server's process id, its resident memory. Bounded in count and time.
/// </summary>
internal static class LoadSection
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string Run(Uri server, int[] clientCounts, int requestsPerClient, int? serverPid, TimeSpan limit)
    {
        if (!server.IsLoopback) throw new ArgumentException($"The load section only targets loopback addresses, not {server}.");
        using var http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromSeconds(60) };
        var health = http.GetAsync("/health").GetAwaiter().GetResult();
        var status = health.Content.ReadFromJsonAsync<JsonElement>(Json).GetAwaiter().GetResult();
        if (status.GetProperty("status").GetString() != "ready")
            throw new InvalidOperationException($"The app at {server} is not ready: {status}. Start it and wait for /health to say ready.");

        var queries = http.GetFromJsonAsync<JsonElement>("/api/examples?n=100", Json).GetAwaiter().GetResult().EnumerateArray()
            .Select(e => (Id: e.GetProperty("referenceId").GetString()!, Text: e.GetProperty("text").GetString()!)).ToList();
        if (queries.Count == 0)
            queries = http.GetFromJsonAsync<JsonElement>("/api/gallery/random?n=50", Json).GetAwaiter().GetResult().EnumerateArray()
                .Select(e => (Id: e.GetProperty("id").GetString()!, Text: "replace black with white")).ToList();
        var uploads = queries.Take(8).ToDictionary(q => q.Id, q => http.GetByteArrayAsync("/api/images/" + q.Id).GetAwaiter().GetResult());

        for (int i = 0; i < 4; i++) Send(http, queries[i % queries.Count], null).GetAwaiter().GetResult(); // warm-up
        var table = new MarkdownTable("clients", "requests", "errors", "throughput (req/s)", "p50 (ms)", "p95 (ms)", "p99 (ms)",
            "server encoders mean (ms)", "server RSS after (MB)", "server peak RSS (MB)");
        var deadline = Stopwatch.StartNew();
        foreach (var clients in clientCounts)
        {
            var latencies = new List<double>[clients];
            var encoders = new List<double>[clients];
            int errors = 0;
            var clock = Stopwatch.StartNew();
            Task.WaitAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
            {
                latencies[c] = [];
                encoders[c] = [];
                for (int r = 0; r < requestsPerClient && deadline.Elapsed < limit; r++)
                {
                    var query = queries[(c * requestsPerClient + r) % queries.Count];
                    var upload = r % 4 == 3 && uploads.TryGetValue(query.Id, out var bytes) ? bytes : null;
                    var started = Stopwatch.GetTimestamp();
                    var (ok, encoderMs) = await Send(http, query, upload);
                    latencies[c].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    if (ok) encoders[c].Add(encoderMs);
                    else Interlocked.Increment(ref errors);
                }
            })).ToArray());
            var seconds = clock.Elapsed.TotalSeconds;
            var all = Timing.FromSamples(latencies.SelectMany(l => l));
            var encoderTimes = encoders.SelectMany(e => e).DefaultIfEmpty(double.NaN);
            var (rss, peak) = Memory(serverPid);
            table.Add(clients, all.Count, errors, all.Count / seconds, all.Median, all.P95, all.Percentile(99), encoderTimes.Average(),
                MarkdownTable.Megabytes(rss), MarkdownTable.Megabytes(peak));
        }
        return $"Server {server}, {requestsPerClient} requests per client (val-set queries by id; every fourth an uploaded JPEG), " +
               $"k = 24, float32 gallery.{Environment.NewLine}{Environment.NewLine}{table}";
    }

    private static async Task<(bool Ok, double EncoderMs)> Send(HttpClient http, (string Id, string Text) query, byte[]? upload)
    {
        try
        {
            HttpResponseMessage response;
            if (upload is null)
            {
                response = await http.PostAsJsonAsync("/api/search", new { referenceId = query.Id, text = query.Text, k = 24 });
            }
            else
            {
                using var form = new MultipartFormDataContent();
                var image = new ByteArrayContent(upload);
                image.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
                form.Add(image, "image", query.Id + ".jpg");
                form.Add(new StringContent(query.Text), "text");
                form.Add(new StringContent("24"), "k");
                response = await http.PostAsync("/api/search", form);
            }
            using (response)
            {
                if (!response.IsSuccessStatusCode) return (false, 0);
                var body = await response.Content.ReadFromJsonAsync<JsonElement>(Json);
                return (body.GetProperty("results").GetArrayLength() > 0, body.GetProperty("timingsMs").GetProperty("encoders").GetDouble());
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            return (false, 0);
        }
    }

    /// <summary>The server's resident and peak resident memory in bytes, from /proc, when its process id is given.</summary>
    private static (long? Rss, long? Peak) Memory(int? pid)
    {
        var status = pid is null ? null : $"/proc/{pid}/status";
        if (status is null || !File.Exists(status)) return (null, null);
        long? Read(string key) => File.ReadLines(status).Where(l => l.StartsWith(key, StringComparison.Ordinal))
            .Select(l => (long?)long.Parse(l.Split(':')[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024).FirstOrDefault();
        return (Read("VmRSS"), Read("VmHWM"));
    }
}
