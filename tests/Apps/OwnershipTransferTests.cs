using System.Net;
using System.Net.Http.Json;
using Billing.Tests.Infrastructure;
using Billing.Tests.Workspaces;
using static Billing.Tests.Workspaces.TestWorkspace;

namespace Billing.Tests.Apps;

/// <summary>W3: the App Owner, the Workspace Owner or an Admin hands an app to any workspace user.</summary>
public sealed class OwnershipTransferTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_App_Owner_hands_the_app_to_a_member_off_the_team_and_stays_as_Collaborator_W3()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var (previousId, previous) = await ws.AddMemberAsync("Member");
        var (nextId, next) = await ws.AddMemberAsync("Member");
        var appId = await ws.CreateAppAsync(previous);

        var moved = await Json(await previous.PostAsJsonAsync($"/apps/{appId}/transfer", new { newOwnerUserId = nextId, previousOwnerRole = "Collaborator" }, Ct), HttpStatusCode.OK);

        Assert.Equal(nextId, moved.GetProperty("ownerUserId").GetString());
        Assert.Equal([previousId], moved.GetProperty("collaborators").EnumerateArray().Select(c => c.GetString()!).ToArray());
        // All owner rights moved: the new owner manages the app, the previous one only builds and publishes now.
        await Json(await next.PutAsJsonAsync($"/apps/{appId}/name", new { name = "Next's" }, Ct), HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.Forbidden, (await previous.PutAsJsonAsync($"/apps/{appId}/name", new { name = "Mine" }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await previous.PostAsJsonAsync($"/apps/{appId}/transfer", new { newOwnerUserId = previousId, previousOwnerRole = "None" }, Ct)).StatusCode);
        Assert.NotEqual(HttpStatusCode.Forbidden, (await previous.PostAsync($"/apps/{appId}/publish", null, Ct)).StatusCode);
    }

    [Fact]
    public async Task The_previous_owner_may_leave_the_team_in_the_same_call_W3()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var (_, previous) = await ws.AddMemberAsync("Member");
        var (nextId, _) = await ws.AddMemberAsync("Member");
        var appId = await ws.CreateAppAsync(previous);

        var moved = await Json(await previous.PostAsJsonAsync($"/apps/{appId}/transfer", new { newOwnerUserId = nextId, previousOwnerRole = "None" }, Ct), HttpStatusCode.OK);

        Assert.Empty(moved.GetProperty("collaborators").EnumerateArray());
        Assert.Equal(HttpStatusCode.Forbidden, (await previous.PostAsync($"/apps/{appId}/publish", null, Ct)).StatusCode);
        // Still a workspace member: reads the app.
        await Json(await previous.GetAsync($"/apps/{appId}", Ct), HttpStatusCode.OK);
    }

    [Fact]
    public async Task The_Workspace_Owner_and_Admins_transfer_any_app_a_Collaborator_does_not_W3()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var (ownerOfAppId, ownerOfApp) = await ws.AddMemberAsync("Member");
        var (adminId, admin) = await ws.AddMemberAsync("Admin");
        var (collaboratorId, collaborator) = await ws.AddMemberAsync("Member");
        var appId = await ws.CreateAppAsync(ownerOfApp);
        await Json(await ownerOfApp.PutAsync($"/apps/{appId}/collaborators/{collaboratorId}", null, Ct), HttpStatusCode.OK);

        Assert.Equal(HttpStatusCode.Forbidden, (await collaborator.PostAsJsonAsync($"/apps/{appId}/transfer", new { newOwnerUserId = collaboratorId, previousOwnerRole = "None" }, Ct)).StatusCode);

        var byAdmin = await Json(await admin.PostAsJsonAsync($"/apps/{appId}/transfer", new { newOwnerUserId = collaboratorId, previousOwnerRole = "Collaborator" }, Ct), HttpStatusCode.OK);
        Assert.Equal(collaboratorId, byAdmin.GetProperty("ownerUserId").GetString());
        // The new owner leaves the collaborator list (they own it now); the previous owner joins it.
        Assert.Equal([ownerOfAppId], byAdmin.GetProperty("collaborators").EnumerateArray().Select(c => c.GetString()!).ToArray());

        var byOwner = await Json(await ws.Owner.PostAsJsonAsync($"/apps/{appId}/transfer", new { newOwnerUserId = adminId, previousOwnerRole = "None" }, Ct), HttpStatusCode.OK);
        Assert.Equal(adminId, byOwner.GetProperty("ownerUserId").GetString());
    }

    [Fact]
    public async Task An_app_moves_only_to_a_workspace_user_W3()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var other = await TestWorkspace.CreateAsync(api);
        var appId = await ws.CreateAppAsync(ws.Owner);

        var refused = await ws.Owner.PostAsJsonAsync($"/apps/{appId}/transfer", new { newOwnerUserId = other.OwnerId, previousOwnerRole = "None" }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("newOwnerUserId", await refused.Content.ReadAsStringAsync(Ct));
        Assert.Equal(ws.OwnerId, (await Json(await ws.Owner.GetAsync($"/apps/{appId}", Ct), HttpStatusCode.OK)).GetProperty("ownerUserId").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await ws.Owner.PostAsJsonAsync($"/apps/{appId}/transfer", new { newOwnerUserId = ws.OwnerId, previousOwnerRole = "Owner" }, Ct)).StatusCode);
    }

    [Fact]
    public async Task A_published_app_is_transferred_and_stays_published_W3()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var (nextId, _) = await ws.AddMemberAsync("Member");
        var appId = await ws.CreateAppAsync(ws.Owner);
        await ws.GrantPaidAsync(appId, 100m);
        await Json(await ws.Owner.PostAsync($"/apps/{appId}/publish", null, Ct), HttpStatusCode.OK);

        var moved = await Json(await ws.Owner.PostAsJsonAsync($"/apps/{appId}/transfer", new { newOwnerUserId = nextId, previousOwnerRole = "None" }, Ct), HttpStatusCode.OK);

        Assert.Equal((nextId, "Published"), (moved.GetProperty("ownerUserId").GetString(), moved.GetProperty("publishStatus").GetString()));
    }
}
