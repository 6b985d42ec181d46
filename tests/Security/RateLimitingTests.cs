using System.Net;
using Billing.Tests.Infrastructure;

namespace Billing.Tests.Security;

/// <summary>Low limits, so that a test reaches them in a few calls.</summary>
public sealed class LowRateLimitFixture(AzuriteFixture azurite) : ApiFixture(azurite)
{
    public const int PerCaller = 5;
    public const int PerTenant = 8;

    protected override IReadOnlyDictionary<string, string?> ApiSettings { get; } = new Dictionary<string, string?>
    {
        ["RateLimiting:PermitsPerCaller"] = PerCaller.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RateLimiting:PermitsPerTenant"] = PerTenant.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RateLimiting:Window"] = "00:10:00",
    };
}

/// <summary>Per-tenant rate limiting with ASP.NET Core's limiter: 429 with Retry-After, per caller and per tenant.</summary>
public sealed class RateLimitingTests(LowRateLimitFixture api) : IClassFixture<LowRateLimitFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_caller_over_its_limit_gets_429_with_Retry_After()
    {
        var client = api.ClientFor("busy-" + Guid.NewGuid().ToString("N"));
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < LowRateLimitFixture.PerCaller + 1; i++)
        {
            // A different (unknown) tenant each time: only the caller's own limit is in play.
            var response = await client.GetAsync($"/workspaces/ws_{Guid.NewGuid():N}", Ct);
            statuses.Add(response.StatusCode);
            limited = response;
        }

        Assert.All(statuses.Take(LowRateLimitFixture.PerCaller), s => Assert.Equal(HttpStatusCode.NotFound, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        var retryAfter = int.Parse(limited!.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 600);
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        // Another caller is not affected.
        Assert.Equal(HttpStatusCode.NotFound, (await api.ClientFor("calm-" + Guid.NewGuid().ToString("N")).GetAsync($"/workspaces/ws_{Guid.NewGuid():N}", Ct)).StatusCode);
    }

    [Fact]
    public async Task Callers_together_are_held_to_the_tenants_limit()
    {
        var tenant = $"/workspaces/ws_{Guid.NewGuid():N}";
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < LowRateLimitFixture.PerTenant + 1; i++)
            statuses.Add((await api.ClientFor($"user-{i}-{Guid.NewGuid():N}").GetAsync(tenant, Ct)).StatusCode);

        Assert.All(statuses.Take(LowRateLimitFixture.PerTenant), s => Assert.Equal(HttpStatusCode.NotFound, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
    }

    [Fact]
    public async Task Health_probes_are_not_limited()
    {
        var client = api.AnonymousClient();
        for (var i = 0; i < LowRateLimitFixture.PerCaller * 3; i++)
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live", Ct)).StatusCode);
    }
}
