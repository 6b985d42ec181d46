using System.Text;
using Billing.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;
using Microsoft.Playwright;
using Orleans.TestingHost;

namespace Billing.Tests.Portal;

/// <summary>
/// The API host with its portal on a real Kestrel port (a browser cannot reach an in-memory test server), in front of a
/// real cluster on Azurite, and one headless Chromium (Debian's package, driven by Playwright) for the whole class.
/// The API, the silos and the tests share one fake clock.
/// </summary>
public sealed class PortalFixture(AzuriteFixture azurite) : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";
    private readonly SymmetricSecurityKey _signingKey = new(Encoding.UTF8.GetBytes(Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N")));
    private WebApplicationFactory<Billing.Api.ApiEntryPoint>? _api;
    private IPlaywright? _playwright;

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 1, 9, 0, 0, TimeSpan.Zero));

    public RecordedBillingEvents Events { get; } = new();

    public TestCluster Cluster { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>The portal's address, e.g. <c>http://127.0.0.1:51234</c>, without a trailing slash.</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>axe-core from the repository's node_modules (package.json pins it), evaluated in each page under test.</summary>
    public string AxeSource { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        AxeSource = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Path, "node_modules", "axe-core", "axe.min.js"));
        Cluster = await BillingTestCluster.StartAsync(azurite, Clock, silos: 1, events: Events);
        var port = FreePort.Next();
        _api = new WebApplicationFactory<Billing.Api.ApiEntryPoint>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Testing");
            web.UseSetting("Storage:ConnectionString", azurite.ConnectionString);
            web.UseSetting("Orleans:ClusterId", Cluster.Options.ClusterId);
            web.UseSetting("Orleans:ServiceId", Cluster.Options.ServiceId);
            web.UseSetting("Portal:DevelopmentSignIn", "true");
            web.UseSetting("Urls", $"http://127.0.0.1:{port}"); // not appsettings.json's fixed port
            web.ConfigureTestServices(services =>
            {
                services.AddSingleton<TimeProvider>(Clock);
                services.PostConfigure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, o =>
                {
                    o.TokenValidationParameters.ValidIssuer = "billing-tests";
                    o.TokenValidationParameters.ValidAudience = "billing-api";
                    o.TokenValidationParameters.IssuerSigningKey = _signingKey;
                });
            });
        });
        _api.UseKestrel();
        _api.StartServer();
        BaseUrl = $"http://127.0.0.1:{port}";

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // Playwright starts each launch with a fresh, temporary profile; these keep Chromium off the network and quiet.
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>A browser context of its own (cookies, storage) for one person, in a time zone other than UTC.</summary>
    public Task<IBrowserContext> NewPerson() => Browser.NewContextAsync(new BrowserNewContextOptions
    {
        BaseURL = BaseUrl,
        Locale = "en-US",
        TimezoneId = "America/New_York",
        AcceptDownloads = true,
        ViewportSize = new ViewportSize { Width = 1100, Height = 900 },
    });

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
            await Browser.CloseAsync();
        _playwright?.Dispose();
        if (_api is not null)
            await _api.DisposeAsync();
        if (Cluster is not null)
        {
            await Cluster.StopAllSilosAsync();
            await Cluster.DisposeAsync();
        }
    }
}
