using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace FashionSearchWeb.Tests;

/// <summary>
/// The page in a real browser: the app on a free loopback port (Kestrel, tiny catalogue), Debian's Chromium through
/// Playwright. A user picks a reference, types a change, refines from a result, tries a val query (its target marked),
/// uploads a JPEG, and gets a clear message for a text file renamed .jpg; the page also fits a phone-width screen.
/// </summary>
[Collection(TinyCatalogueCollection.Name)]
public sealed class BrowserTests(TinyCatalogue catalogue, ITestOutputHelper output)
{
    [SkippableFact]
    public async Task A_user_searches_refines_uploads_and_sees_errors_in_Chromium()
    {
        var chromium = Chromium.Require();
        await using var factory = new SearchAppFactory(catalogue);
        factory.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        factory.StartServer();
        var baseUrl = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        await factory.ReadyClientAsync();

        using var playwright = await Playwright.CreateAsync();
        var userData = Directory.CreateTempSubdirectory("fashion-search-chromium-").FullName;
        await using var browser = await playwright.Chromium.LaunchPersistentContextAsync(userData, new BrowserTypeLaunchPersistentContextOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = Chromium.Arguments,
            ViewportSize = new ViewportSize { Width = 1100, Height = 900 },
        });
        try
        {
            var page = browser.Pages.Count > 0 ? browser.Pages[0] : await browser.NewPageAsync();
            page.SetDefaultTimeout(30_000);
            await page.GotoAsync(baseUrl);

            // Turn 1: a gallery product, chosen with the keyboard, and a change.
            var firstProduct = page.Locator("[data-testid=gallery] button").First;
            await firstProduct.WaitForAsync();
            var chosenTitle = await firstProduct.Locator(".title").InnerTextAsync();
            await firstProduct.FocusAsync();
            await page.Keyboard.PressAsync("Enter");
            await Assertions.Expect(page.Locator("[data-testid=reference] figcaption")).ToHaveTextAsync(chosenTitle);
            await page.Locator("[data-testid=text]").FillAsync("replace red with blue");
            await Search(page, () => page.Keyboard.PressAsync("Enter"), "replace red with blue");
            var results = page.Locator("[data-testid=results] li button");
            await Assertions.Expect(results).ToHaveCountAsync(catalogue.Count - 1);
            await Assertions.Expect(page.Locator("[data-testid=timings]")).ToContainTextAsync("encoders");

            // Turn 2: a result becomes the reference; the breadcrumb shows the first turn.
            var picked = results.Nth(2);
            var pickedTitle = await picked.Locator(".title").InnerTextAsync();
            await picked.ClickAsync();
            await Assertions.Expect(page.Locator("[data-testid=reference] figcaption")).ToHaveTextAsync(pickedTitle);
            await Assertions.Expect(page.Locator("[data-testid=turns] li")).ToHaveCountAsync(2);
            await Assertions.Expect(page.Locator("[data-testid=turns]")).ToContainTextAsync("replace red with blue");
            await page.Locator("[data-testid=text]").FillAsync("replace blue with green");
            await Search(page, () => page.Locator("[data-testid=search]").ClickAsync(), "replace blue with green");
            await Assertions.Expect(results).ToHaveCountAsync(catalogue.Count - 1);
            Assert.DoesNotContain(pickedTitle, await results.Locator(".title").AllInnerTextsAsync());

            // A val-set query: its ground-truth target gets the green border.
            await page.Locator("[data-testid=example]").ClickAsync();
            await Assertions.Expect(page.Locator("[data-testid=text]")).ToHaveValueAsync("replace red with blue");
            await Search(page, () => page.Locator("[data-testid=search]").ClickAsync(), "replace red with blue");
            await Assertions.Expect(page.Locator("[data-testid=results] button.target")).ToHaveCountAsync(1);
            await Assertions.Expect(page.Locator("[data-testid=results] button.target .title")).ToHaveTextAsync(TinyCatalogue.Title(2, 0));
            Directory.CreateDirectory(ScreenshotFolder);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, "fashion-search-web.png"), FullPage = true });

            // An uploaded JPEG.
            var jpeg = Path.Combine(catalogue.Root, "my-photo.jpg");
            await File.WriteAllBytesAsync(jpeg, catalogue.Bytes(TinyCatalogue.Id(1, 1)));
            await page.Locator("[data-testid=upload]").SetInputFilesAsync(jpeg);
            await Assertions.Expect(page.Locator("[data-testid=reference] figcaption")).ToHaveTextAsync("my-photo.jpg");
            await page.Locator("[data-testid=text]").FillAsync("replace green with red");
            await Search(page, () => page.Locator("[data-testid=search]").ClickAsync(), "replace green with red");
            await Assertions.Expect(results).ToHaveCountAsync(catalogue.Count); // an upload excludes nothing
            await Assertions.Expect(page.Locator("[data-testid=error]")).ToBeHiddenAsync();

            // A text file renamed .jpg: a clear message, and the next search still works.
            var fake = Path.Combine(catalogue.Root, "not-a-photo.jpg");
            await File.WriteAllTextAsync(fake, "this is a text file, not a JPEG");
            await page.Locator("[data-testid=upload]").SetInputFilesAsync(fake);
            await page.Locator("[data-testid=text]").FillAsync("replace red with blue");
            await Search(page, () => page.Locator("[data-testid=search]").ClickAsync());
            var error = page.Locator("[data-testid=error]");
            await Assertions.Expect(error).ToBeVisibleAsync();
            await Assertions.Expect(error).ToContainTextAsync("Not an image");
            await Assertions.Expect(error).ToContainTextAsync("not-a-photo.jpg");
            await page.Locator("[data-testid=gallery] button").First.ClickAsync();
            await page.Locator("[data-testid=text]").FillAsync("replace white with black");
            await Search(page, () => page.Locator("[data-testid=search]").ClickAsync(), "replace white with black");
            await Assertions.Expect(error).ToBeHiddenAsync();
            await Assertions.Expect(results).ToHaveCountAsync(catalogue.Count - 1);

            // A phone-width screen: nothing wider than the viewport.
            await page.SetViewportSizeAsync(375, 800);
            Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"),
                "the page scrolls sideways at 375 px");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, "fashion-search-web-phone.png") });
            output.WriteLine($"Screenshots in {ScreenshotFolder}");
        }
        finally
        {
            await browser.CloseAsync();
            Directory.Delete(userData, recursive: true);
        }
    }

    private static string ScreenshotFolder => Path.Combine(AppContext.BaseDirectory, "screenshots");

    /// <summary>Runs <paramref name="action"/> and waits for the search response it sends; when it succeeds, for the
    /// results of <paramref name="text"/> on the page.</summary>
    private static async Task Search(IPage page, Func<Task> action, string? text = null)
    {
        var response = await page.RunAndWaitForResponseAsync(action, response => response.Url.EndsWith("/api/search", StringComparison.Ordinal));
        if (response.Ok && text is not null)
            await Assertions.Expect(page.Locator("[data-testid=results]")).ToHaveAttributeAsync("data-query", text);
    }
}
