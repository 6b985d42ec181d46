using Billing.Errors;
using Billing.Rules;
using Billing.Workspaces;

namespace Billing.Tests.Workspaces;

/// <summary>W2 as pure rules: who may invite, change roles and remove members.</summary>
public sealed class TeamRulesTests
{
    [Theory]
    [InlineData(WorkspaceRole.Owner, WorkspaceRole.Admin, null)]
    [InlineData(WorkspaceRole.Admin, WorkspaceRole.Member, null)]
    [InlineData(WorkspaceRole.Member, WorkspaceRole.Member, BillingErrorKind.Forbidden)]
    [InlineData(WorkspaceRole.Owner, WorkspaceRole.Owner, BillingErrorKind.Invalid)]
    public void Owners_and_Admins_invite_Admins_and_Members_W2(WorkspaceRole actor, WorkspaceRole invited, BillingErrorKind? error) =>
        AssertOutcome(() => TeamRules.ThrowIfCannotInvite(actor, invited), error);

    [Fact]
    public void A_non_member_is_told_the_workspace_does_not_exist() =>
        AssertOutcome(() => TeamRules.ThrowIfCannotInvite(null, WorkspaceRole.Member), BillingErrorKind.NotFound);

    [Theory]
    [InlineData(WorkspaceRole.Admin, WorkspaceRole.Admin, WorkspaceRole.Member, null)]
    [InlineData(WorkspaceRole.Owner, WorkspaceRole.Member, WorkspaceRole.Admin, null)]
    [InlineData(WorkspaceRole.Admin, WorkspaceRole.Owner, WorkspaceRole.Member, BillingErrorKind.Conflict)]
    [InlineData(WorkspaceRole.Owner, WorkspaceRole.Member, WorkspaceRole.Owner, BillingErrorKind.Invalid)]
    [InlineData(WorkspaceRole.Member, WorkspaceRole.Member, WorkspaceRole.Admin, BillingErrorKind.Forbidden)]
    public void Roles_change_between_Admin_and_Member_never_the_Owners_W2(WorkspaceRole actor, WorkspaceRole target, WorkspaceRole newRole, BillingErrorKind? error) =>
        AssertOutcome(() => TeamRules.ThrowIfCannotChangeRole(actor, target, newRole), error);

    [Theory]
    [InlineData(WorkspaceRole.Admin, false, WorkspaceRole.Member, 0, null)]
    [InlineData(WorkspaceRole.Member, true, WorkspaceRole.Member, 0, null)]
    [InlineData(WorkspaceRole.Member, false, WorkspaceRole.Member, 0, BillingErrorKind.Forbidden)]
    [InlineData(WorkspaceRole.Owner, true, WorkspaceRole.Owner, 0, BillingErrorKind.Conflict)]
    [InlineData(WorkspaceRole.Owner, false, WorkspaceRole.Member, 2, BillingErrorKind.Conflict)]
    public void Members_are_removed_by_managers_or_leave_but_not_with_apps_or_as_Owner_W2_W3(WorkspaceRole actor, bool self, WorkspaceRole target, int apps, BillingErrorKind? error) =>
        AssertOutcome(() => TeamRules.ThrowIfCannotRemove(actor, self, target, apps), error);

    private static void AssertOutcome(Action check, BillingErrorKind? error)
    {
        if (error is null)
            check();
        else
            Assert.Equal(error, Assert.Throws<BillingException>(check).Kind);
    }
}
