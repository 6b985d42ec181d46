using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Billing.Tests.Infrastructure;
using Billing.Tests.Workspaces;
using static Billing.Tests.Workspaces.TestWorkspace;

namespace Billing.Tests.Apps;

public sealed class AppLifecycleTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Apps_are_created_listed_renamed_and_deleted_by_their_owner()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var (builderId, builder) = await ws.AddMemberAsync("Member");
        var first = await ws.CreateAppAsync(builder, "AutomationAi", "First");
        var second = await ws.CreateAppAsync(ws.Owner, "SearchAi", "Second");

        var listed = await Json(await builder.GetAsync($"/workspaces/{ws.Id}/apps", Ct), HttpStatusCode.OK);
        Assert.Equal([first, second], listed.EnumerateArray().Select(a => a.GetProperty("id").GetString()!).ToArray());
        Assert.Equal(builderId, listed[0].GetProperty("ownerUserId").GetString());
        Assert.Equal("Draft", listed[0].GetProperty("publishStatus").GetString());

        var renamed = await Json(await builder.PutAsJsonAsync($"/apps/{first}/name", new { name = "  Renamed  " }, Ct), HttpStatusCode.OK);
        Assert.Equal("Renamed", renamed.GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, (await builder.PutAsJsonAsync($"/apps/{second}/name", new { name = "Mine now" }, Ct)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await builder.DeleteAsync($"/apps/{first}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await builder.GetAsync($"/apps/{first}", Ct)).StatusCode);
        var after = await Json(await ws.Owner.GetAsync($"/workspaces/{ws.Id}/apps", Ct), HttpStatusCode.OK);
        Assert.Equal([second], after.EnumerateArray().Select(a => a.GetProperty("id").GetString()!).ToArray());
    }

    [Fact]
    public async Task An_app_holding_paid_credits_is_not_deleted()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var appId = await ws.CreateAppAsync(ws.Owner);
        await ws.GrantPaidAsync(appId, 120m);

        var refused = await ws.Owner.DeleteAsync($"/apps/{appId}", Ct);

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("app.delete.paid-balance", await refused.Content.ReadAsStringAsync(Ct));
        await Json(await ws.Owner.GetAsync($"/apps/{appId}", Ct), HttpStatusCode.OK);
    }

    [Fact]
    public async Task The_seat_model_is_chosen_for_Contact_Center_AI_and_Agent_AI_apps_only_B5()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var contactCenter = await ws.CreateAppAsync(ws.Owner, "ContactCenterAi");
        var automation = await ws.CreateAppAsync(ws.Owner, "AutomationAi");

        Assert.Equal("Named", (await Json(await ws.Owner.GetAsync($"/apps/{contactCenter}", Ct), HttpStatusCode.OK)).GetProperty("seatModel").GetString());
        var changed = await Json(await ws.Owner.PutAsJsonAsync($"/apps/{contactCenter}/seat-model", new { seatModel = "Concurrent" }, Ct), HttpStatusCode.OK);
        Assert.Equal("Concurrent", changed.GetProperty("seatModel").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await ws.Owner.PutAsJsonAsync($"/apps/{automation}/seat-model", new { seatModel = "Concurrent" }, Ct)).StatusCode);
    }

    [Fact]
    public async Task A_body_cannot_set_what_the_caller_may_not_choose()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        // Extra fields (owner, plan, balance, status, workspace) are not part of the input records: ignored.
        var created = await Json(await ws.Owner.PostAsJsonAsync($"/workspaces/{ws.Id}/apps", new
        {
            name = "Bot", product = "AutomationAi", ownerUserId = "someone-else", plan = "Enterprise", paidUsd = 1_000_000,
            publishStatus = "Published", workspaceId = "ws_00000000000000000000000000000000",
        }, Ct), HttpStatusCode.Created);

        Assert.Equal((ws.OwnerId, "Standard", "Draft", ws.Id), (created.GetProperty("ownerUserId").GetString(), created.GetProperty("plan").GetString(), created.GetProperty("publishStatus").GetString(), created.GetProperty("workspaceId").GetString()));
        var balance = await Json(await ws.Owner.GetAsync($"/apps/{created.GetProperty("id").GetString()}/balance", Ct), HttpStatusCode.OK);
        Assert.Equal(0m, balance.GetProperty("paidUsd").GetDecimal());
        var renamed = await Json(await ws.Owner.PutAsJsonAsync($"/apps/{created.GetProperty("id").GetString()}/name", new { name = "New", ownerUserId = "someone-else", plan = "Enterprise" }, Ct), HttpStatusCode.OK);
        Assert.Equal((ws.OwnerId, "Standard"), (renamed.GetProperty("ownerUserId").GetString(), renamed.GetProperty("plan").GetString()));
    }
}
