using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Billing.Notifications;
using Billing.Tests.Infrastructure;
using Billing.Workspaces;
using static Billing.Tests.Workspaces.TestWorkspace;

namespace Billing.Tests.Workspaces;

public sealed class TeamTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_invitation_raises_MemberInvited_once_and_its_acceptance_makes_the_user_a_member_W2()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var email = $"new-{Guid.NewGuid():N}@example.com";

        var first = await Json(await ws.Owner.PostAsJsonAsync($"/workspaces/{ws.Id}/invitations", new { email, role = "Admin" }, Ct), HttpStatusCode.Created);
        var again = await Json(await ws.Owner.PostAsJsonAsync($"/workspaces/{ws.Id}/invitations", new { email, role = "Admin" }, Ct), HttpStatusCode.Created);

        var invitationId = first.GetProperty("id").GetString()!;
        Assert.Equal(invitationId, again.GetProperty("id").GetString());
        var raised = Assert.Single(api.Events.OfType<MemberInvited>(), e => e.InvitationId == invitationId);
        Assert.Equal((email, WorkspaceRole.Admin, ws.OwnerId, ws.Id), (raised.Email, raised.Role, raised.InvitedByUserId, raised.WorkspaceId));
        Assert.Equal($"member-invited:{invitationId}", raised.EventId);

        var userId = "new-" + Guid.NewGuid().ToString("N");
        var invitee = api.ClientWithEmail(userId, email.ToUpperInvariant(), "Nora New");
        var joined = await Json(await invitee.PostAsync($"/workspaces/{ws.Id}/invitations/{invitationId}/accept", null, Ct), HttpStatusCode.OK);
        Assert.Equal("Admin", joined.GetProperty("callerRole").GetString());

        var members = await Json(await invitee.GetAsync($"/workspaces/{ws.Id}/members", Ct), HttpStatusCode.OK);
        var member = members.EnumerateArray().Single(m => m.GetProperty("userId").GetString() == userId);
        Assert.Equal(("Admin", email.ToUpperInvariant(), "Nora New"), (member.GetProperty("role").GetString(), member.GetProperty("email").GetString(), member.GetProperty("displayName").GetString()));
        // Accepting again is harmless; the invitation reads as accepted by that user.
        await Json(await invitee.PostAsync($"/workspaces/{ws.Id}/invitations/{invitationId}/accept", null, Ct), HttpStatusCode.OK);
        var invitations = await Json(await ws.Owner.GetAsync($"/workspaces/{ws.Id}/invitations", Ct), HttpStatusCode.OK);
        Assert.Equal("Accepted", invitations.EnumerateArray().Single(i => i.GetProperty("id").GetString() == invitationId).GetProperty("status").GetString());
    }

    [Fact]
    public async Task An_invitation_is_only_for_the_address_it_was_sent_to_W2()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var invitation = await Json(await ws.Owner.PostAsJsonAsync($"/workspaces/{ws.Id}/invitations", new { email = "right@example.com", role = "Member" }, Ct), HttpStatusCode.Created);
        var url = $"/workspaces/{ws.Id}/invitations/{invitation.GetProperty("id").GetString()}/accept";

        var wrongAddress = api.ClientWithEmail("intruder-" + Guid.NewGuid().ToString("N"), "wrong@example.com");
        var noAddress = api.ClientFor("intruder-" + Guid.NewGuid().ToString("N"));

        Assert.Equal(HttpStatusCode.Forbidden, (await wrongAddress.PostAsync(url, null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await noAddress.PostAsync(url, null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await wrongAddress.PostAsync($"/workspaces/{ws.Id}/invitations/inv_nope/accept", null, Ct)).StatusCode);
        var members = await Json(await ws.Owner.GetAsync($"/workspaces/{ws.Id}/members", Ct), HttpStatusCode.OK);
        Assert.Single(members.EnumerateArray());
    }

    [Fact]
    public async Task A_revoked_or_expired_invitation_cannot_be_accepted()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var revoked = await Json(await ws.Owner.PostAsJsonAsync($"/workspaces/{ws.Id}/invitations", new { email = "a@example.com", role = "Member" }, Ct), HttpStatusCode.Created);
        var revokedId = revoked.GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.NoContent, (await ws.Owner.DeleteAsync($"/workspaces/{ws.Id}/invitations/{revokedId}", Ct)).StatusCode);

        var user = api.ClientWithEmail("a-" + Guid.NewGuid().ToString("N"), "a@example.com");
        Assert.Equal(HttpStatusCode.NotFound, (await user.PostAsync($"/workspaces/{ws.Id}/invitations/{revokedId}/accept", null, Ct)).StatusCode);
    }

    [Fact]
    public async Task Only_the_Owner_and_Admins_invite_and_nobody_invites_a_second_Owner_W2()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var (_, admin) = await ws.AddMemberAsync("Admin");
        var (_, member) = await ws.AddMemberAsync("Member");

        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync($"/workspaces/{ws.Id}/invitations", new { email = "x@example.com", role = "Member" }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await member.PostAsJsonAsync($"/workspaces/{ws.Id}/invitations", new { email = "y@example.com", role = "Member" }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ws.Owner.PostAsJsonAsync($"/workspaces/{ws.Id}/invitations", new { email = "z@example.com", role = "Owner" }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ws.Owner.PostAsJsonAsync($"/workspaces/{ws.Id}/invitations", new { email = "not an address", role = "Member" }, Ct)).StatusCode);
    }

    [Fact]
    public async Task Owners_and_Admins_change_roles_but_never_the_Owners_W2()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var (adminId, admin) = await ws.AddMemberAsync("Admin");
        var (memberId, member) = await ws.AddMemberAsync("Member");

        Assert.Equal(HttpStatusCode.Forbidden, (await member.PutAsJsonAsync($"/workspaces/{ws.Id}/members/{adminId}", new { role = "Member" }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PutAsJsonAsync($"/workspaces/{ws.Id}/members/{memberId}", new { role = "Admin" }, Ct)).StatusCode);
        Assert.Equal("Admin", (await Json(await member.GetAsync($"/workspaces/{ws.Id}", Ct), HttpStatusCode.OK)).GetProperty("callerRole").GetString());
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PutAsJsonAsync($"/workspaces/{ws.Id}/members/{ws.OwnerId}", new { role = "Member" }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ws.Owner.PutAsJsonAsync($"/workspaces/{ws.Id}/members/{memberId}", new { role = "Owner" }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ws.Owner.PutAsJsonAsync($"/workspaces/{ws.Id}/members/nobody", new { role = "Member" }, Ct)).StatusCode);
    }

    [Fact]
    public async Task A_member_who_owns_apps_is_removed_only_after_transferring_them_W2_W3()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var (builderId, builder) = await ws.AddMemberAsync("Member");
        var appId = await ws.CreateAppAsync(builder);

        var refused = await ws.Owner.DeleteAsync($"/workspaces/{ws.Id}/members/{builderId}", Ct);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("member.owns-apps", await refused.Content.ReadAsStringAsync(Ct));

        await Json(await ws.Owner.PostAsJsonAsync($"/apps/{appId}/transfer", new { newOwnerUserId = ws.OwnerId, previousOwnerRole = "None" }, Ct), HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.NoContent, (await ws.Owner.DeleteAsync($"/workspaces/{ws.Id}/members/{builderId}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await builder.GetAsync($"/workspaces/{ws.Id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await builder.GetAsync($"/apps/{appId}", Ct)).StatusCode);
    }

    [Fact]
    public async Task A_member_may_leave_but_the_Owner_stays_W2()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var (memberId, member) = await ws.AddMemberAsync("Member");
        var (otherId, _) = await ws.AddMemberAsync("Member");

        Assert.Equal(HttpStatusCode.Forbidden, (await member.DeleteAsync($"/workspaces/{ws.Id}/members/{otherId}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await ws.Owner.DeleteAsync($"/workspaces/{ws.Id}/members/{ws.OwnerId}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await member.DeleteAsync($"/workspaces/{ws.Id}/members/{memberId}", Ct)).StatusCode);
        var members = await Json(await ws.Owner.GetAsync($"/workspaces/{ws.Id}/members", Ct), HttpStatusCode.OK);
        Assert.Equal(new[] { ws.OwnerId, otherId }.Order(StringComparer.Ordinal), members.EnumerateArray().Select(m => m.GetProperty("userId").GetString()!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_callers_profile_follows_their_token_claims()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var (memberId, _) = await ws.AddMemberAsync("Member");

        // The same user signs in later with a changed address and name: the next call records them.
        var renamed = api.ClientWithEmail(memberId, "changed@example.com", "Changed Name");
        await Json(await renamed.GetAsync($"/workspaces/{ws.Id}", Ct), HttpStatusCode.OK);

        var members = await Json(await ws.Owner.GetAsync($"/workspaces/{ws.Id}/members", Ct), HttpStatusCode.OK);
        var member = members.EnumerateArray().Single(m => m.GetProperty("userId").GetString() == memberId);
        Assert.Equal(("changed@example.com", "Changed Name"), (member.GetProperty("email").GetString(), member.GetProperty("displayName").GetString()));
        var owner = members.EnumerateArray().Single(m => m.GetProperty("userId").GetString() == ws.OwnerId);
        Assert.Equal(($"{ws.OwnerId}@example.com", "Olivia Owner"), (owner.GetProperty("email").GetString(), owner.GetProperty("displayName").GetString()));
    }
}
