using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Billing.Tests.Infrastructure;
using Billing.Tests.Workspaces;

namespace Billing.Tests.Security;

/// <summary>
/// The API with rate limits out of the way (the suites send thousands of requests from one caller) and one target
/// workspace with a user in every role, next to an outsider's workspace.
/// </summary>
public sealed class SecurityFixture(AzuriteFixture azurite) : ApiFixture(azurite)
{
    private readonly SemaphoreSlim _building = new(1, 1);
    private SecurityWorld? _world;

    protected override IReadOnlyDictionary<string, string?> ApiSettings { get; } = new Dictionary<string, string?>
    {
        ["RateLimiting:PermitsPerCaller"] = "10000000",
        ["RateLimiting:PermitsPerTenant"] = "10000000",
    };

    public async Task<SecurityWorld> World()
    {
        await _building.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            return _world ??= await SecurityWorld.BuildAsync(this);
        }
        finally
        {
            _building.Release();
        }
    }
}

/// <summary>
/// Target workspace W (Owner O) with an Admin, a Member, a Collaborator on app X, X's App Owner (a Member), a member T
/// whom endpoints with a user id in the path are aimed at, and an open invitation; an outsider owns another workspace.
/// </summary>
public sealed class SecurityWorld
{
    private SecurityWorld(ApiFixture api, OpenApiDocument openApi, TestWorkspace target, IReadOnlyDictionary<string, HttpClient> callers, IReadOnlyDictionary<string, string> ids)
    {
        Api = api;
        OpenApi = openApi;
        Target = target;
        Callers = callers;
        Ids = ids;
        Operator = api.ClientFor("support-security", "billing-operator");
    }

    public ApiFixture Api { get; }

    public OpenApiDocument OpenApi { get; }

    public TestWorkspace Target { get; }

    /// <summary>By role: Owner, Admin, Member, Collaborator, AppOwner, Outsider.</summary>
    public IReadOnlyDictionary<string, HttpClient> Callers { get; }

    public HttpClient Operator { get; }

    /// <summary>Path parameter values that name real things of the target workspace.</summary>
    public IReadOnlyDictionary<string, string> Ids { get; }

    public string IdFor(string parameter) => Ids.TryGetValue(parameter, out var id) ? id : "zz_" + Guid.NewGuid().ToString("N");

    public static async Task<SecurityWorld> BuildAsync(ApiFixture api)
    {
        var ct = TestContext.Current.CancellationToken;
        var ws = await TestWorkspace.CreateAsync(api, "Target");
        var (_, admin) = await ws.AddMemberAsync("Admin", "admin");
        var (_, member) = await ws.AddMemberAsync("Member", "member");
        var (collaboratorId, collaborator) = await ws.AddMemberAsync("Member", "collaborator");
        var (_, appOwner) = await ws.AddMemberAsync("Member", "appowner");
        var (targetUserId, _) = await ws.AddMemberAsync("Member", "target");
        var appId = await ws.CreateAppAsync(appOwner, "ContactCenterAi");
        await TestWorkspace.Json(await appOwner.PutAsync($"/apps/{appId}/collaborators/{collaboratorId}", null, ct), HttpStatusCode.OK);
        await ws.GrantPaidAsync(appId, 100m);
        var invitation = await TestWorkspace.Json(await ws.Owner.PostAsJsonAsync($"/workspaces/{ws.Id}/invitations", new { email = "invitee@example.com", role = "Member" }, ct), HttpStatusCode.Created);
        var outsider = await TestWorkspace.CreateAsync(api, "Outsider");
        await outsider.CreateAppAsync(outsider.Owner);

        var callers = new Dictionary<string, HttpClient>
        {
            ["Owner"] = ws.Owner, ["Admin"] = admin, ["Member"] = member, ["Collaborator"] = collaborator, ["AppOwner"] = appOwner, ["Outsider"] = outsider.Owner,
        };
        // Every caller has been seen once, so that recording their profile is not a change the suites would notice.
        foreach (var client in callers.Values)
            await client.GetAsync($"/workspaces/{ws.Id}", ct);

        var document = await api.AnonymousClient().GetFromJsonAsync<JsonElement>("/openapi/v1.json", ct);
        var ids = new Dictionary<string, string>
        {
            ["workspaceId"] = ws.Id, ["appId"] = appId, ["invitationId"] = invitation.GetProperty("id").GetString()!, ["userId"] = targetUserId,
            // Sub-resources the target has none of: the app or workspace in the path is what the refusal must rest on.
            ["kind"] = "support", ["paymentId"] = "pay_none", ["paymentMethodId"] = "pm_none", ["number"] = "INV-0000000001", ["messageId"] = "msg_none",
        };
        return new SecurityWorld(api, new OpenApiDocument(document), ws, callers, ids);
    }

    /// <summary>
    /// Everything the target workspace shows through its read endpoints (every GET of the document that can be filled
    /// with the target's ids), read as its Owner, or as an operator for operator reads.
    /// </summary>
    public async Task<string> SnapshotAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        var parts = new List<string>();
        foreach (var op in OpenApi.Operations.Where(o => o.Method == HttpMethod.Get && o.PathParameters.All(Ids.ContainsKey)).OrderBy(o => o.PathTemplate, StringComparer.Ordinal))
        {
            var client = op.IsOperatorOnly ? Operator : Target.Owner;
            var path = op.Path(Ids);
            using var response = await client.GetAsync(path, ct);
            // An error's body carries a fresh trace id each time: its status is what must not change.
            parts.Add(response.IsSuccessStatusCode ? $"{path} {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}" : $"{path} {(int)response.StatusCode}");
        }
        return string.Join('\n', parts);
    }

    /// <summary>A request body valid enough to pass binding, so that what refuses the call is authorization.</summary>
    public HttpContent? ValidBody(ApiOperation op) =>
        op.BodySchema is { } schema
            ? new StringContent(OpenApi.Sample(schema, "", KnownValue)!.ToJsonString(), System.Text.Encoding.UTF8, "application/json")
            : null;

    private string? KnownValue(string property) =>
        property.Contains("email", StringComparison.OrdinalIgnoreCase) ? "someone@example.com"
        : property.Contains("userid", StringComparison.OrdinalIgnoreCase) ? Ids["userId"]
        : null;

    public static HttpRequestMessage Request(HttpMethod method, string path, HttpContent? body)
    {
        var request = new HttpRequestMessage(method, path) { Content = body };
        // Money-moving calls need one; a refusal must not depend on its absence.
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
        return request;
    }
}
