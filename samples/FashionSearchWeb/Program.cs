// Composed product search over HTTP: a photo plus "like this, but ..." -> the best-matching gallery products.
// dotnet run -c Release --project samples/FashionSearchWeb [-- --model FILE --gallery DIR --split FILE --titles styles.csv
//   --store "Host=...;Database=...;Username=..." [--collection NAME]]   (the gallery in PostgreSQL + pgvector)
using FashionSearchWeb;

var builder = WebApplication.CreateBuilder(args);
if (string.IsNullOrEmpty(builder.Configuration["urls"])) builder.WebHost.UseSetting(WebHostDefaults.ServerUrlsKey, WebOptions.DefaultUrl);
// A little above the 10 MB image limit, so an oversized upload still gets the API's own problem response.
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = SearchApi.MaxImageBytes + (2 << 20));
builder.Services.AddProblemDetails();
builder.Services.AddOpenApi();
builder.Services.AddSingleton(services => WebOptions.From(services.GetRequiredService<IConfiguration>()));
builder.Services.AddSingleton<SearchService>();
builder.Services.AddHostedService<StartupWorker>();
// Training cannot be interrupted between steps; do not hold Ctrl+C for the default 30 s (its feature cache is kept).
builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(5));

var app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseDefaultFiles();
app.UseStaticFiles();
app.MapOpenApi("/openapi/{documentName}.json");
app.MapGet("/openapi", () => Results.Redirect("/openapi/v1.json")).ExcludeFromDescription();
app.MapSearchApi();
app.Run();

/// <summary>The app's entry point, visible to the in-process tests (WebApplicationFactory).</summary>
public partial class Program;
