using System.Net;
using System.Net.Http.Json;
using Billing.Api.Apps;
using Billing.Errors;
using Billing.Notifications;
using Billing.Tests.Infrastructure;
using Billing.Workspaces;
using static Billing.Tests.Workspaces.TestWorkspace;

namespace Billing.Tests.Workspaces;

/// <summary>W4, W5: request by a Workspace Owner or App Owner, approval by support with a license, apps on the Enterprise plan.</summary>
public sealed class EnterpriseUpgradeTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static readonly string[] Automation = ["AutomationAi"];
    private static readonly string[] AutomationAndAgent = ["AutomationAi", "AgentAi"];
    private static readonly string[] AutomationAndSearch = ["AutomationAi", "SearchAi"];
    private static readonly string[] Search = ["SearchAi"];
    private static readonly string[] SearchAndAgent = ["SearchAi", "AgentAi"];
    private static readonly string[] NoProducts = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Support => api.ClientFor("support-" + Guid.NewGuid().ToString("N"), "billing-operator");

    [Fact]
    public async Task The_Workspace_Owner_or_an_App_Owner_requests_an_upgrade_others_do_not_W4()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var (_, member) = await ws.AddMemberAsync("Member");
        var (_, admin) = await ws.AddMemberAsync("Admin");
        var (appOwnerId, appOwner) = await ws.AddMemberAsync("Member");
        await ws.CreateAppAsync(appOwner);
        var body = new { products = AutomationAndAgent, note = "We need a contract" };

        Assert.Equal(HttpStatusCode.Forbidden, (await member.PostAsJsonAsync($"/workspaces/{ws.Id}/enterprise-upgrade", body, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.PostAsJsonAsync($"/workspaces/{ws.Id}/enterprise-upgrade", body, Ct)).StatusCode);
        var requested = await Json(await appOwner.PostAsJsonAsync($"/workspaces/{ws.Id}/enterprise-upgrade", body, Ct), HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.Conflict, (await ws.Owner.PostAsJsonAsync($"/workspaces/{ws.Id}/enterprise-upgrade", body, Ct)).StatusCode);

        Assert.Equal(appOwnerId, requested.GetProperty("request").GetProperty("requestedByUserId").GetString());
        Assert.Equal(["AutomationAi", "AgentAi"], requested.GetProperty("request").GetProperty("products").EnumerateArray().Select(p => p.GetString()!).ToArray());
        Assert.Equal("Standard", requested.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Support_approves_with_a_license_every_app_moves_to_Enterprise_and_the_switch_is_raised_once_W4_W5()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var (builderId, builder) = await ws.AddMemberAsync("Member");
        string[] apps = [await ws.CreateAppAsync(builder, name: "A"), await ws.CreateAppAsync(builder, name: "B"), await ws.CreateAppAsync(ws.Owner, name: "C")];
        await Json(await ws.Owner.PostAsJsonAsync($"/workspaces/{ws.Id}/enterprise-upgrade", new { products = Automation }, Ct), HttpStatusCode.OK);
        var license = new { products = AutomationAndSearch, rateLimitPerMinute = 6000, allowedRequestsPerMonth = 2_000_000 };

        Assert.Equal(HttpStatusCode.Forbidden, (await ws.Owner.PostAsJsonAsync($"/operator/workspaces/{ws.Id}/enterprise-upgrade/approve", license, Ct)).StatusCode);
        var approved = await Json(await Support.PostAsJsonAsync($"/operator/workspaces/{ws.Id}/enterprise-upgrade/approve", license, Ct), HttpStatusCode.OK);
        // A retried approval (support clicked twice) switches nothing again.
        await Json(await Support.PostAsJsonAsync($"/operator/workspaces/{ws.Id}/enterprise-upgrade/approve", license, Ct), HttpStatusCode.OK);

        Assert.Equal("Enterprise", approved.GetProperty("type").GetString());
        Assert.Equal(6000, approved.GetProperty("license").GetProperty("rateLimitPerMinute").GetInt64());
        Assert.Equal(JsonValueKindNull, approved.GetProperty("pendingSwitch").ValueKind);
        foreach (var appId in apps)
            Assert.Equal("Enterprise", (await Json(await ws.Owner.GetAsync($"/apps/{appId}", Ct), HttpStatusCode.OK)).GetProperty("plan").GetString());
        Assert.Equal("Enterprise", (await Json(await ws.Owner.GetAsync($"/workspaces/{ws.Id}", Ct), HttpStatusCode.OK)).GetProperty("type").GetString());

        var switched = Assert.Single(api.Events.OfType<WorkspacePlanSwitched>(), e => e.WorkspaceId == ws.Id);
        Assert.Equal((WorkspaceType.Standard, WorkspaceType.Enterprise, Billing.Apps.UsagePlan.Enterprise), (switched.FromType, switched.ToType, switched.ToPlan));
        Assert.Equal(apps.Order(StringComparer.Ordinal), switched.ImpactedApps.Select(a => a.AppId).Order(StringComparer.Ordinal));
        // W5: the email module mails each distinct App Owner once; the event names them.
        Assert.Equal(new[] { builderId, ws.OwnerId }.Order(StringComparer.Ordinal), switched.ImpactedApps.Select(a => a.OwnerUserId).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task An_Enterprise_workspace_builds_apps_only_for_licensed_products_W4()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        await Json(await ws.Owner.PostAsJsonAsync($"/workspaces/{ws.Id}/enterprise-upgrade", new { products = Search }, Ct), HttpStatusCode.OK);
        await Json(await Support.PostAsJsonAsync($"/operator/workspaces/{ws.Id}/enterprise-upgrade/approve", new { products = Search }, Ct), HttpStatusCode.OK);

        var refused = await ws.Owner.PostAsJsonAsync($"/workspaces/{ws.Id}/apps", new { name = "Agents", product = "AgentAi" }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("app.product.unlicensed", await refused.Content.ReadAsStringAsync(Ct));

        var licensed = await Json(await ws.Owner.PostAsJsonAsync($"/workspaces/{ws.Id}/apps", new { name = "Search", product = "SearchAi" }, Ct), HttpStatusCode.Created);
        Assert.Equal("Enterprise", licensed.GetProperty("plan").GetString());

        // Support extends the license: the product becomes available.
        await Json(await Support.PostAsJsonAsync($"/operator/workspaces/{ws.Id}/enterprise-upgrade/approve", new { products = SearchAndAgent }, Ct), HttpStatusCode.OK);
        await Json(await ws.Owner.PostAsJsonAsync($"/workspaces/{ws.Id}/apps", new { name = "Agents", product = "AgentAi" }, Ct), HttpStatusCode.Created);
    }

    [Fact]
    public async Task Support_approves_only_a_requested_upgrade_with_a_valid_license_W4()
    {
        var ws = await TestWorkspace.CreateAsync(api);

        Assert.Equal(HttpStatusCode.Conflict, (await Support.PostAsJsonAsync($"/operator/workspaces/{ws.Id}/enterprise-upgrade/approve", new { products = Search }, Ct)).StatusCode);
        await Json(await ws.Owner.PostAsJsonAsync($"/workspaces/{ws.Id}/enterprise-upgrade", new { products = Search }, Ct), HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.BadRequest, (await Support.PostAsJsonAsync($"/operator/workspaces/{ws.Id}/enterprise-upgrade/approve", new { products = NoProducts }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Support.PostAsJsonAsync($"/operator/workspaces/{ws.Id}/enterprise-upgrade/approve", new { products = Search, rateLimitPerMinute = -1 }, Ct)).StatusCode);
        Assert.Equal("Standard", (await Json(await ws.Owner.GetAsync($"/workspaces/{ws.Id}", Ct), HttpStatusCode.OK)).GetProperty("type").GetString());
    }

    [Fact]
    public async Task Self_service_payments_answer_a_clear_error_in_an_Enterprise_workspace_W4()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var appId = await ws.CreateAppAsync(ws.Owner, product: "SearchAi");
        await Json(await ws.Owner.PostAsJsonAsync($"/workspaces/{ws.Id}/enterprise-upgrade", new { products = Search }, Ct), HttpStatusCode.OK);
        await Json(await Support.PostAsJsonAsync($"/operator/workspaces/{ws.Id}/enterprise-upgrade/approve", new { products = Search }, Ct), HttpStatusCode.OK);

        using var addFunds = new HttpRequestMessage(HttpMethod.Post, $"/apps/{appId}/funds") { Content = JsonContent.Create(new { amountUsd = 100m, method = "PayPal" }) };
        addFunds.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
        var refused = await ws.Owner.SendAsync(addFunds, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("workspace.enterprise.contract-billed", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_switch_left_half_way_is_finished_by_the_retried_approval_and_raised_once_W4_W5()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var appId = await ws.CreateAppAsync(ws.Owner);
        await Json(await ws.Owner.PostAsJsonAsync($"/workspaces/{ws.Id}/enterprise-upgrade", new { products = Search }, Ct), HttpStatusCode.OK);
        // The workspace recorded the approval, then the orchestrator died before moving the apps.
        var license = new EnterpriseLicense([Billing.Apps.Product.SearchAi], null, null, api.Clock.GetUtcNow(), "support-1");
        var ticket = await api.Cluster.Client.GetGrain<IWorkspaceGrain>(ws.Id).ApproveEnterprise(license);
        Assert.Equal([appId], ticket!.AppIds);
        Assert.Equal("Standard", (await Json(await ws.Owner.GetAsync($"/apps/{appId}", Ct), HttpStatusCode.OK)).GetProperty("plan").GetString());

        var retried = await Json(await Support.PostAsJsonAsync($"/operator/workspaces/{ws.Id}/enterprise-upgrade/approve", new { products = Search }, Ct), HttpStatusCode.OK);

        Assert.Equal(JsonValueKindNull, retried.GetProperty("pendingSwitch").ValueKind);
        Assert.Equal("Enterprise", (await Json(await ws.Owner.GetAsync($"/apps/{appId}", Ct), HttpStatusCode.OK)).GetProperty("plan").GetString());
        var switched = Assert.Single(api.Events.OfType<WorkspacePlanSwitched>(), e => e.WorkspaceId == ws.Id);
        Assert.Equal($"workspace-plan-switched:{ws.Id}:{ticket.SwitchNumber}", switched.EventId);
    }

    private const System.Text.Json.JsonValueKind JsonValueKindNull = System.Text.Json.JsonValueKind.Null;
}
