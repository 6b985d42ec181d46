using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Orleans.TestingHost;

namespace Billing.Tests.Infrastructure;

/// <summary>
/// The real API (its own Orleans client, real JWT validation) in front of a real cluster on Azurite. The API
/// finds the cluster the production way: through the Azure Table membership table.
/// </summary>
public class ApiFixture(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string Issuer = "billing-tests";
    private const string Audience = "billing-api";
    private readonly SymmetricSecurityKey _signingKey = new(Encoding.UTF8.GetBytes(Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N")));

    public AzuriteFixture Azurite => azurite;
    /// <summary>The secret the API checks payment webhooks against (tests sign their webhooks with it).</summary>
    public const string WebhookSecret = "test-webhook-secret-0123456789";

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 1, 9, 0, 0, TimeSpan.Zero));

    public TestCluster Cluster { get; private set; } = null!;

    /// <summary>The billing events the cluster raised (the silos hand them here instead of the production sink).</summary>
    public RecordedBillingEvents Events { get; } = new();

    /// <summary>
    /// Whether the silo hands billing events to <see cref="Events"/> (tests of producers) or to the real notifications
    /// outbox (tests of emails, which override this with false).
    /// </summary>
    protected virtual bool RecordEvents => true;

    /// <summary>API settings beyond the defaults (a subclass sets them, e.g. rate limits).</summary>
    protected virtual IReadOnlyDictionary<string, string?> ApiSettings { get; } = new Dictionary<string, string?>();

    public WebApplicationFactory<Billing.Api.ApiEntryPoint> Api { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Cluster = await BillingTestCluster.StartAsync(azurite, Clock, silos: 1, events: RecordEvents ? Events : null);
        Api = new WebApplicationFactory<Billing.Api.ApiEntryPoint>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Testing");
            web.UseSetting("Storage:ConnectionString", azurite.ConnectionString);
            web.UseSetting("Orleans:ClusterId", Cluster.Options.ClusterId);
            web.UseSetting("Orleans:ServiceId", Cluster.Options.ServiceId);
            foreach (var (key, value) in ApiSettings)
                web.UseSetting(key, value);
            web.UseSetting("Payments:Webhook:Secret", WebhookSecret);
            web.ConfigureTestServices(services =>
                services.PostConfigure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, o =>
                {
                    o.TokenValidationParameters.ValidIssuer = Issuer;
                    o.TokenValidationParameters.ValidAudience = Audience;
                    o.TokenValidationParameters.IssuerSigningKey = _signingKey;
                }));
        });
        _ = Api.Server; // start the host (and its Orleans client) now, not inside the first test
    }

    /// <summary>An HTTP client whose bearer token names <paramref name="userId"/> as its <c>sub</c>.</summary>
    public HttpClient ClientFor(string userId, params string[] roles)
    {
        var client = Api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TokenFor(userId, roles));
        return client;
    }

    /// <summary>An HTTP client whose token also carries the user's <c>email</c> (verified) and <c>name</c> claims.</summary>
    public HttpClient ClientWithEmail(string userId, string email, string? name = null, params string[] roles)
    {
        var client = Api.CreateClient();
        var verified = new Claim("email_verified", "true", ClaimValueTypes.Boolean);
        Claim[] profile = name is null ? [new Claim("email", email), verified] : [new Claim("email", email), verified, new Claim("name", name)];
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TokenFor(userId, profile, roles));
        return client;
    }

    public HttpClient AnonymousClient() => Api.CreateClient();

    public string TokenFor(string userId, params string[] roles) => TokenFor(userId, [], roles);

    public string TokenFor(string userId, IEnumerable<Claim> claims, params string[] roles) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = Issuer,
        Audience = Audience,
        Subject = new ClaimsIdentity([new Claim("sub", userId), .. claims, .. roles.Select(r => new Claim("role", r))]),
        Expires = DateTime.UtcNow.AddHours(1),
        SigningCredentials = new SigningCredentials(_signingKey, SecurityAlgorithms.HmacSha256),
    });

    public async ValueTask DisposeAsync()
    {
        await Api.DisposeAsync();
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
