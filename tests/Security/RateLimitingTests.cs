using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Billing.Tests.Infrastructure;
using Billing.Tests.Workspaces;

namespace Billing.Tests.Security;

/// <summary>Low limits and a window longer than any test, so that a test reaches the limits in a few calls and no refill happens meanwhile.</summary>
public sealed class LowRateLimitFixture(AzuriteFixture azurite) : ApiFixture(azurite)
{
    public const int PerCaller = 20;
    public const int PerTenant = 8;

    protected override IReadOnlyDictionary<string, string?> ApiSettings { get; } = new Dictionary<string, string?>
    {
        ["RateLimiting:PermitsPerCaller"] = PerCaller.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RateLimiting:PermitsPerTenant"] = PerTenant.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RateLimiting:Window"] = "00:30:00",
    };
}

/// <summary>
/// Rate limits with ASP.NET Core's limiters: 429 with Retry-After per caller, and per tenant only for callers the
/// tenant admitted, so that outsiders can never lock a tenant's own users out.
/// </summary>
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
        Assert.InRange(retryAfter, 1, 1800);
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        // Another caller is not affected.
        Assert.Equal(HttpStatusCode.NotFound, (await api.ClientFor("calm-" + Guid.NewGuid().ToString("N")).GetAsync($"/workspaces/ws_{Guid.NewGuid():N}", Ct)).StatusCode);
    }

    [Fact]
    public async Task A_tenants_own_users_together_are_held_to_the_tenants_limit()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var (_, member) = await ws.AddMemberAsync("Member"); // the invitation and its acceptance: 2 of the tenant's permits
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < LowRateLimitFixture.PerTenant - 1; i++)
            statuses.Add((await (i % 2 == 0 ? ws.Owner : member).GetAsync($"/workspaces/{ws.Id}", Ct)).StatusCode);

        Assert.All(statuses.Take(LowRateLimitFixture.PerTenant - 2), s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
    }

    /// <summary>
    /// The lock-out found by probing: ~3,000 requests a minute from anonymous callers and throw-away accounts, all
    /// ending in 401 or 404, used to spend the tenant's budget and leave its owner with 429.
    /// </summary>
    [Fact]
    public async Task Ten_thousand_requests_from_outsiders_and_anonymous_callers_never_lock_the_owner_out()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var appId = await ws.CreateAppAsync(ws.Owner);
        string[] paths = [$"/apps/{appId}", $"/apps/{appId}/balance", $"/apps/{appId}/usage/trend", $"/apps/{appId}/ledger", $"/workspaces/{ws.Id}", $"/workspaces/{ws.Id}/members"];
        var anonymous = api.AnonymousClient();
        var outsiders = Enumerable.Range(0, 50).Select(i => api.ClientFor($"outsider-{i}-{Guid.NewGuid():N}")).ToList();
        var hostile = new ConcurrentDictionary<HttpStatusCode, int>();
        var owner = new ConcurrentQueue<HttpStatusCode>();

        await Parallel.ForEachAsync(Enumerable.Range(0, 10_000), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = Ct }, async (i, ct) =>
        {
            // The owner's requests are spread over the same minute (window) as the attack.
            if (i % 2000 == 1000)
                owner.Enqueue((await ws.Owner.GetAsync(paths[i / 2000], ct)).StatusCode);
            var caller = i % 3 == 0 ? anonymous : outsiders[i % outsiders.Count];
            using var response = await caller.GetAsync(paths[i % paths.Length], ct);
            hostile.AddOrUpdate(response.StatusCode, 1, (_, n) => n + 1);
        });

        Assert.Equal(5, owner.Count);
        Assert.All(owner, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(10_000, hostile.Values.Sum());
        Assert.True(hostile.Keys.All(s => s is HttpStatusCode.Unauthorized or HttpStatusCode.NotFound or HttpStatusCode.TooManyRequests),
            string.Join(", ", hostile.Select(h => $"{(int)h.Key}={h.Value}")));
        Assert.True(hostile.GetValueOrDefault(HttpStatusCode.NotFound) > 0 && hostile.GetValueOrDefault(HttpStatusCode.TooManyRequests) > 0);
        // After the attack the owner still has the budget the attack could not touch.
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.GetAsync($"/apps/{appId}", Ct)).StatusCode);
    }

    [Fact]
    public async Task Health_probes_are_not_limited()
    {
        var client = api.AnonymousClient();
        for (var i = 0; i < LowRateLimitFixture.PerCaller * 3; i++)
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live", Ct)).StatusCode);
    }
}
