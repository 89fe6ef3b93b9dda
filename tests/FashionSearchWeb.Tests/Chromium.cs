namespace FashionSearchWeb.Tests;

/// <summary>
/// Debian's Chromium, which the browser test drives through Playwright (Playwright cannot download its own browsers
/// here). Where it is absent the test skips with the reason, unless <c>MLNET_CR_REQUIRE_SHARED_DATA=1</c> (set by
/// <c>.ci/run</c>, which installs it) turns the skip into a failure, as for the tests that need ../shared.
/// </summary>
internal static class Chromium
{
    public const string ExecutablePath = "/usr/bin/chromium";

    public const string RequireVariable = "MLNET_CR_REQUIRE_SHARED_DATA";

    /// <summary>Chromium's switches for a headless run as root with no traffic beyond loopback.</summary>
    public static readonly string[] Arguments =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    /// <summary>Returns the executable, or skips/fails when it is absent.</summary>
    public static string Require()
    {
        if (File.Exists(ExecutablePath)) return ExecutablePath;
        var reason = $"needs Chromium at {ExecutablePath} (Debian: apt-get install -y chromium), which is absent";
        if (Environment.GetEnvironmentVariable(RequireVariable) == "1")
            throw new InvalidOperationException($"{reason}; {RequireVariable}=1 turns this skip into a failure.");
        Skip.If(true, reason);
        return ExecutablePath;
    }
}
