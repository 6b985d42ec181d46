using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Billing.Tests.Infrastructure;

namespace Billing.Tests.Workspaces;

/// <summary>A workspace built through the REST API, as its users would: the owner, invited members, apps.</summary>
public sealed class TestWorkspace
{
    private readonly ApiFixture _api;

    private TestWorkspace(ApiFixture api, string id, string ownerId, HttpClient owner)
    {
        _api = api;
        Id = id;
        OwnerId = ownerId;
        Owner = owner;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public string Id { get; }

    public string OwnerId { get; }

    public HttpClient Owner { get; }

    public static async Task<TestWorkspace> CreateAsync(ApiFixture api, string name = "Acme")
    {
        var ownerId = "owner-" + Guid.NewGuid().ToString("N");
        var owner = api.ClientWithEmail(ownerId, $"{ownerId}@example.com", "Olivia Owner");
        var response = await owner.PostAsJsonAsync("/workspaces", new { name }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString()!;
        return new TestWorkspace(api, id, ownerId, owner);
    }

    /// <summary>Invites a new user as <paramref name="role"/> (by the owner) and has them accept (W2).</summary>
    public async Task<(string UserId, HttpClient Client)> AddMemberAsync(string role, string prefix = "user")
    {
        var userId = $"{prefix}-{Guid.NewGuid():N}";
        var email = $"{userId}@example.com";
        var invitation = await Json(await Owner.PostAsJsonAsync($"/workspaces/{Id}/invitations", new { email, role }, Ct), HttpStatusCode.Created);
        var client = _api.ClientWithEmail(userId, email, prefix);
        await Json(await client.PostAsync($"/workspaces/{Id}/invitations/{invitation.GetProperty("id").GetString()}/accept", null, Ct), HttpStatusCode.OK);
        return (userId, client);
    }

    public async Task<string> CreateAppAsync(HttpClient creator, string product = "AutomationAi", string name = "Support bot")
    {
        var app = await Json(await creator.PostAsJsonAsync($"/workspaces/{Id}/apps", new { name, product }, Ct), HttpStatusCode.Created);
        return app.GetProperty("id").GetString()!;
    }

    /// <summary>An operator's grant to an app's paid wallet (C7), the way paid credits exist before the payments module.</summary>
    public async Task GrantPaidAsync(string appId, decimal amountUsd)
    {
        var op = _api.ClientFor("support-" + Guid.NewGuid().ToString("N"), "billing-operator");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/operator/apps/{appId}/credits")
        {
            Content = JsonContent.Create(new { kind = "Grant", amountUsd, reason = "test funding" }),
        };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
        await Json(await op.SendAsync(request, Ct), HttpStatusCode.OK);
    }

    /// <summary>An operator's adjustment of the workspace's free credits (negative takes them away).</summary>
    public async Task AdjustFreeCreditsAsync(decimal amountUsd)
    {
        var op = _api.ClientFor("support-" + Guid.NewGuid().ToString("N"), "billing-operator");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/operator/workspaces/{Id}/free-credits")
        {
            Content = JsonContent.Create(new { kind = "Adjustment", amountUsd, reason = "test adjustment" }),
        };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
        await Json(await op.SendAsync(request, Ct), HttpStatusCode.OK);
    }

    public static async Task<JsonElement> Json(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == expected, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: expected {expected}, got {(int)response.StatusCode}: {body}");
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
    }
}
