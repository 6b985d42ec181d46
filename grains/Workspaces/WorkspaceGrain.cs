using System.Net.Mail;
using Billing.Apps;
using Billing.Errors;
using Billing.Notifications;
using Billing.Rules;
using Billing.Text;
using Billing.Users;
using Billing.Wallets;

namespace Billing.Workspaces;

public sealed class WorkspaceGrain(
    [PersistentState("workspace", StorageNames.Billing)] IPersistentState<WorkspaceState> workspace,
    BillingClock clock,
    IBillingEventSink events,
    Microsoft.Extensions.Options.IOptions<InvitationOptions> invitationOptions) : Grain, IWorkspaceGrain
{
    async Task<WorkspaceView> IWorkspaceGrain.Create(CreateWorkspace command)
    {
        var name = Names.Validate(command.Name, "name", "workspace.name.invalid", WorkspaceLimits.MaxNameLength);
        if (string.IsNullOrWhiteSpace(command.OwnerUserId) || command.OwnerUserId.Length > TeamLimits.MaxUserIdLength)
            throw BillingException.Invalid("ownerUserId", "workspace.owner.missing", "A workspace needs an owner.");
        if (workspace.State.IsCreated)
            throw BillingException.Conflict("workspace.exists", $"Workspace '{this.GetPrimaryKeyString()}' already exists.");

        var now = clock.UtcNow;
        var state = workspace.State;
        state.Name = name;
        state.Type = WorkspaceType.Standard; // W1
        state.OwnerUserId = command.OwnerUserId;
        state.CreatedAt = now;
        state.FreeCredits = FreeCreditRules.ForNewStandardWorkspace(now); // C1
        state.Members[command.OwnerUserId] = WorkspaceRole.Owner;
        await workspace.WriteStateAsync();
        await RaiseCreatedAsync(); // E1: the owner's welcome email

        // Posts the grant to the pool's ledger and arms the expiry reminder (C1, C2). Should this call fail, the pool
        // does it on first use: the grant is recorded in this state, and the pool reads it from here.
        await GrainFactory.GetGrain<IFreeCreditPoolGrain>(this.GetPrimaryKeyString()).EnsureGranted();
        return View(WorkspaceRole.Owner);
    }

    Task<WorkspaceView?> IWorkspaceGrain.GetForMember(string userId) =>
        Task.FromResult(RoleOf(userId) is { } role ? View(role) : null);

    Task<WorkspaceRole?> IWorkspaceGrain.GetRole(string userId) => Task.FromResult(RoleOf(userId));

    Task<FreeCreditGrant?> IWorkspaceGrain.GetFreeCreditGrant() => Task.FromResult(workspace.State.FreeCredits);

    Task<ConsumptionOrder> IWorkspaceGrain.GetConsumptionOrder() => Task.FromResult(workspace.State.ConsumptionOrder);

    async Task IWorkspaceGrain.RegisterApp(string appId)
    {
        if (!workspace.State.IsCreated)
            throw BillingException.NotFound("workspace.not-found", $"Workspace '{this.GetPrimaryKeyString()}' was not found.");
        if (workspace.State.AppIds.Contains(appId))
            return;
        workspace.State.AppIds.Add(appId);
        await workspace.WriteStateAsync();
    }

    Task<IReadOnlyList<string>> IWorkspaceGrain.GetAppIds() => Task.FromResult<IReadOnlyList<string>>([.. workspace.State.AppIds]);

    async Task IWorkspaceGrain.SetConsumptionOrder(ConsumptionOrder order)
    {
        if (!Enum.IsDefined(order))
            throw BillingException.Invalid("consumptionOrder", "workspace.consumption-order.invalid", "The consumption order is PaidFirst or FreeFirst.");
        if (!workspace.State.IsCreated)
            throw BillingException.NotFound("workspace.not-found", $"Workspace '{this.GetPrimaryKeyString()}' was not found.");
        workspace.State.ConsumptionOrder = order;
        await workspace.WriteStateAsync();
    }

    // ---- Team (W2) ------------------------------------------------------------------------------------------------

    async Task<InvitationView> IWorkspaceGrain.Invite(string invitedByUserId, string email, WorkspaceRole role)
    {
        TeamRules.ThrowIfCannotInvite(RoleOf(invitedByUserId), role);
        var address = NormalizeEmail(email);
        var now = clock.UtcNow;
        var s = workspace.State;
        // The same address and role while the first invitation is open: that invitation, not a second email.
        var open = s.Invitations.FirstOrDefault(i => i.Value.Status == InvitationStatus.Pending && i.Value.ExpiresAt > now
            && string.Equals(i.Value.Email, address, StringComparison.OrdinalIgnoreCase) && i.Value.Role == role);
        string id;
        if (open.Value is not null)
            id = open.Key;
        else
        {
            if (s.Invitations.Values.Count(i => i.Status == InvitationStatus.Pending && i.ExpiresAt > now) >= TeamLimits.MaxOpenInvitations)
                throw BillingException.Conflict("invitation.too-many", $"A workspace has at most {TeamLimits.MaxOpenInvitations} open invitations; revoke some first.");
            // Invitations are emails from our sender to any address: a daily budget keeps a workspace from being a spam relay.
            var perDay = invitationOptions.Value.PerWorkspacePerDay;
            var today = s.Invitations.Values.Where(i => i.InvitedAt > now.AddDays(-1)).Select(i => i.InvitedAt).Order().ToList();
            if (today.Count >= perDay)
                throw BillingException.TooMany("invitation.daily-limit",
                    $"A workspace sends at most {perDay} invitations in 24 hours; the next one is possible at {today[today.Count - perDay].AddDays(1):yyyy-MM-dd'T'HH:mm:ss'Z'}.",
                    today[today.Count - perDay].AddDays(1));
            PruneClosedInvitations(now);
            id = "inv_" + Guid.NewGuid().ToString("N");
            s.Invitations[id] = new InvitationState
            {
                Email = address, Role = role, InvitedBy = invitedByUserId, InvitedAt = now,
                ExpiresAt = now + TeamLimits.InvitationValidity, Status = InvitationStatus.Pending,
            };
            await workspace.WriteStateAsync();
        }

        var invitation = s.Invitations[id];
        if (!invitation.EventRaised)
        {
            // After the invitation is durable; the event id is the invitation's, so a retry sends no second email (E2).
            await events.Publish(new MemberInvited
            {
                EventId = $"member-invited:{id}", WorkspaceId = WorkspaceId, OccurredAt = invitation.InvitedAt,
                WorkspaceName = s.Name, InvitationId = id, Email = invitation.Email, Role = invitation.Role, InvitedByUserId = invitation.InvitedBy,
            });
            invitation.EventRaised = true;
            await workspace.WriteStateAsync();
        }
        return ViewOf(id, invitation);
    }

    async Task<WorkspaceView> IWorkspaceGrain.AcceptInvitation(string invitationId, string userId, string email)
    {
        var s = workspace.State;
        if (!s.IsCreated || invitationId is null || !s.Invitations.TryGetValue(invitationId, out var invitation) || invitation.Status == InvitationStatus.Revoked)
            throw BillingException.NotFound("invitation.not-found", "The invitation was not found.");
        if (invitation.Status == InvitationStatus.Accepted)
        {
            if (invitation.AcceptedBy == userId && RoleOf(userId) is { } role)
                return View(role);
            throw BillingException.Conflict("invitation.used", "This invitation was already accepted.");
        }
        // The invitation is for an address: only a token carrying that address may use it, so a leaked link is useless.
        if (!string.Equals(invitation.Email, email?.Trim(), StringComparison.OrdinalIgnoreCase))
            throw BillingException.Forbidden("invitation.email.mismatch", "This invitation was sent to another email address.");
        if (clock.UtcNow >= invitation.ExpiresAt)
            throw BillingException.Conflict("invitation.expired", "This invitation has expired; ask for a new one.");
        if (string.IsNullOrWhiteSpace(userId) || userId.Length > TeamLimits.MaxUserIdLength)
            throw BillingException.Invalid("sub", "user.id.invalid", "The caller's user id is invalid.");

        invitation.Status = InvitationStatus.Accepted;
        invitation.AcceptedBy = userId;
        // Someone already a member keeps the higher of the two roles: an invitation never demotes.
        var newRole = RoleOf(userId) is { } current && current <= invitation.Role ? current : invitation.Role;
        s.Members[userId] = newRole;
        await workspace.WriteStateAsync();
        return View(newRole);
    }

    async Task IWorkspaceGrain.RevokeInvitation(string actorUserId, string invitationId)
    {
        var actor = RoleOf(actorUserId);
        if (actor is null)
            throw BillingException.NotFound("workspace.not-found", "The workspace was not found.");
        if (!TeamRules.ManagesTeam(actor.Value))
            throw BillingException.Forbidden("workspace.role.insufficient", "Only the Owner or an Admin manages invitations.");
        if (invitationId is null || !workspace.State.Invitations.TryGetValue(invitationId, out var invitation))
            throw BillingException.NotFound("invitation.not-found", "The invitation was not found.");
        if (invitation.Status == InvitationStatus.Accepted)
            throw BillingException.Conflict("invitation.used", "This invitation was already accepted; remove the member instead.");
        if (invitation.Status == InvitationStatus.Revoked)
            return;
        invitation.Status = InvitationStatus.Revoked;
        await workspace.WriteStateAsync();
    }

    Task<IReadOnlyList<InvitationView>> IWorkspaceGrain.GetInvitations() =>
        Task.FromResult<IReadOnlyList<InvitationView>>([.. workspace.State.Invitations.OrderByDescending(i => i.Value.InvitedAt).Select(i => ViewOf(i.Key, i.Value))]);

    async Task<IReadOnlyList<MemberView>> IWorkspaceGrain.GetMembers()
    {
        var members = workspace.State.Members.OrderBy(m => m.Value).ThenBy(m => m.Key, StringComparer.Ordinal).ToList();
        // User grains call nothing back, so reading the profiles from inside this turn is safe.
        var profiles = await Task.WhenAll(members.Select(m => GrainFactory.User(m.Key).Get()));
        return [.. members.Select((m, i) => new MemberView(m.Key, m.Value, profiles[i]?.Email, profiles[i]?.DisplayName))];
    }

    async Task IWorkspaceGrain.ChangeRole(string actorUserId, string targetUserId, WorkspaceRole role)
    {
        TeamRules.ThrowIfCannotChangeRole(RoleOf(actorUserId), RoleOf(targetUserId ?? ""), role);
        if (workspace.State.Members[targetUserId!] == role)
            return;
        workspace.State.Members[targetUserId!] = role;
        await workspace.WriteStateAsync();
    }

    async Task IWorkspaceGrain.RemoveMember(string actorUserId, string targetUserId)
    {
        var target = RoleOf(targetUserId ?? "");
        var owned = target is null ? 0 : workspace.State.AppOwners.Values.Count(o => o == targetUserId);
        TeamRules.ThrowIfCannotRemove(RoleOf(actorUserId), actorUserId == targetUserId, target, owned);
        workspace.State.Members.Remove(targetUserId!);
        await workspace.WriteStateAsync();
    }

    // ---- Apps ------------------------------------------------------------------------------------------------------

    async Task<AppAdmission> IWorkspaceGrain.AdmitApp(string appId, Product product, string ownerUserId)
    {
        var s = workspace.State;
        if (!s.IsCreated)
            throw BillingException.NotFound("workspace.not-found", $"Workspace '{WorkspaceId}' was not found.");
        if (RoleOf(ownerUserId) is null)
            throw BillingException.Forbidden("app.owner.not-member", "An app's owner is a member of its workspace.");
        // W4: an Enterprise workspace builds apps only for the products its license names.
        if (s.Type == WorkspaceType.Enterprise && s.License is { } license && !license.Products.Contains(product))
            throw BillingException.Invalid("product", "app.product.unlicensed", $"This Enterprise workspace is not licensed for {product}; ask support to add it to the contract.");
        var admission = new AppAdmission(s.Type == WorkspaceType.Enterprise ? UsagePlan.Enterprise : UsagePlan.Standard, s.Type);
        if (s.AppIds.Contains(appId) && s.AppOwners.ContainsKey(appId))
            return admission;
        if (!s.AppIds.Contains(appId))
            s.AppIds.Add(appId);
        s.AppOwners[appId] = ownerUserId;
        await workspace.WriteStateAsync();
        return admission;
    }

    async Task IWorkspaceGrain.AppOwnerChanged(string appId, string ownerUserId)
    {
        if (!workspace.State.AppIds.Contains(appId) || workspace.State.AppOwners.GetValueOrDefault(appId) == ownerUserId)
            return;
        workspace.State.AppOwners[appId] = ownerUserId;
        await workspace.WriteStateAsync();
    }

    async Task IWorkspaceGrain.UnregisterApp(string appId)
    {
        var removed = workspace.State.AppIds.Remove(appId) | workspace.State.AppOwners.Remove(appId);
        if (removed)
            await workspace.WriteStateAsync();
    }

    Task<IReadOnlyDictionary<string, string>> IWorkspaceGrain.GetAppOwners() =>
        Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>(workspace.State.AppOwners, StringComparer.Ordinal));

    // ---- Enterprise (W4, W5) ---------------------------------------------------------------------------------------

    async Task<EnterpriseStatus> IWorkspaceGrain.RequestEnterprise(string userId, IReadOnlyList<Product> products, string? note)
    {
        var s = workspace.State;
        var role = RoleOf(userId) ?? throw BillingException.NotFound("workspace.not-found", $"Workspace '{WorkspaceId}' was not found.");
        // W4: the Workspace Owner or an App Owner asks.
        if (role != WorkspaceRole.Owner && !s.AppOwners.ContainsValue(userId))
            throw BillingException.Forbidden("enterprise.request.forbidden", "Only the Workspace Owner or an App Owner requests an Enterprise upgrade.");
        if (products is null || products.Count == 0 || products.Any(p => !Enum.IsDefined(p)))
            throw BillingException.Invalid("products", "enterprise.products.invalid", "Name at least one product: AutomationAi, SearchAi, ContactCenterAi, AgentAi.");
        if (note is { Length: > EnterpriseLimits.MaxNoteLength })
            throw BillingException.Invalid("note", "enterprise.note.invalid", $"A note is at most {EnterpriseLimits.MaxNoteLength} characters.");
        if (s.Type == WorkspaceType.Enterprise)
            throw BillingException.Conflict("enterprise.already", "The workspace is already on an Enterprise contract; support extends its license.");
        if (s.EnterpriseRequest is { Status: EnterpriseRequestStatus.Pending })
            throw BillingException.Conflict("enterprise.request.pending", "An Enterprise upgrade request is already open for this workspace.");
        s.EnterpriseRequest = new EnterpriseRequestView(userId, clock.UtcNow, [.. products.Distinct().Order()], string.IsNullOrWhiteSpace(note) ? null : note.Trim(), EnterpriseRequestStatus.Pending);
        await workspace.WriteStateAsync();
        return Enterprise();
    }

    Task<EnterpriseStatus> IWorkspaceGrain.GetEnterpriseStatus() => Task.FromResult(Enterprise());

    async Task<PlanSwitchTicket?> IWorkspaceGrain.ApproveEnterprise(EnterpriseLicense license)
    {
        var s = workspace.State;
        if (!s.IsCreated)
            throw BillingException.NotFound("workspace.not-found", $"Workspace '{WorkspaceId}' was not found.");
        ValidateLicense(license);
        if (s.Type == WorkspaceType.Standard)
        {
            if (s.EnterpriseRequest is not { Status: EnterpriseRequestStatus.Pending } request)
                throw BillingException.Conflict("enterprise.request.missing", "The workspace has not requested an Enterprise upgrade.");
            s.EnterpriseRequest = request with { Status = EnterpriseRequestStatus.Approved };
            s.PlanSwitches++;
            // The ticket lists the apps of this moment; apps admitted later start on the Enterprise plan (AdmitApp).
            s.PendingSwitch = new PlanSwitchTicket(s.PlanSwitches, WorkspaceType.Standard, WorkspaceType.Enterprise, UsagePlan.Enterprise, [.. s.AppIds]);
            s.Type = WorkspaceType.Enterprise;
        }
        s.License = license with { Products = [.. license.Products.Distinct().Order()] };
        await workspace.WriteStateAsync();
        return s.PendingSwitch;
    }

    async Task IWorkspaceGrain.CompletePlanSwitch(int switchNumber, IReadOnlyList<ImpactedApp> impactedApps)
    {
        var s = workspace.State;
        if (s.PendingSwitch is not { } ticket || ticket.SwitchNumber != switchNumber)
            return;
        // The event first, the ticket closed after: a crash in between raises the same event id again (E2 dedupes).
        await events.Publish(new WorkspacePlanSwitched
        {
            EventId = $"workspace-plan-switched:{WorkspaceId}:{ticket.SwitchNumber}", WorkspaceId = WorkspaceId, OccurredAt = clock.UtcNow,
            WorkspaceName = s.Name, FromType = ticket.FromType, ToType = ticket.ToType, ToPlan = ticket.ToPlan, ImpactedApps = impactedApps,
        });
        s.PendingSwitch = null;
        await workspace.WriteStateAsync();
    }

    private static void ValidateLicense(EnterpriseLicense license)
    {
        if (license?.Products is not { Count: > 0 } products || products.Any(p => !Enum.IsDefined(p)))
            throw BillingException.Invalid("products", "enterprise.products.invalid", "A license names at least one product: AutomationAi, SearchAi, ContactCenterAi, AgentAi.");
        if (license.RateLimitPerMinute is < 1 or > EnterpriseLimits.MaxRateLimitPerMinute)
            throw BillingException.Invalid("rateLimitPerMinute", "enterprise.rate-limit.invalid", $"The rate limit is 1 to {EnterpriseLimits.MaxRateLimitPerMinute} requests per minute, or absent for none.");
        if (license.AllowedRequestsPerMonth is < 1 or > EnterpriseLimits.MaxAllowedRequestsPerMonth)
            throw BillingException.Invalid("allowedRequestsPerMonth", "enterprise.allowed-requests.invalid", $"Allowed requests are 1 to {EnterpriseLimits.MaxAllowedRequestsPerMonth} per month, or absent for no cap.");
    }

    private EnterpriseStatus Enterprise()
    {
        var s = workspace.State;
        return new EnterpriseStatus(s.Type, s.EnterpriseRequest, s.License, s.PendingSwitch);
    }

    private void PruneClosedInvitations(DateTimeOffset now)
    {
        // Closed or long-expired invitations are history only; keep the state bounded.
        foreach (var id in workspace.State.Invitations.Where(i => i.Value.Status != InvitationStatus.Pending ? i.Value.InvitedAt < now.AddDays(-90) : i.Value.ExpiresAt < now.AddDays(-30)).Select(i => i.Key).ToList())
            workspace.State.Invitations.Remove(id);
    }

    private static string NormalizeEmail(string email)
    {
        var address = email?.Trim() ?? "";
        if (address.Length is 0 or > TeamLimits.MaxEmailLength || !MailAddress.TryCreate(address, out var parsed) || parsed.Address != address)
            throw BillingException.Invalid("email", "invitation.email.invalid", $"An invitation goes to one valid email address of at most {TeamLimits.MaxEmailLength} characters.");
        return address;
    }

    private InvitationView ViewOf(string id, InvitationState i) =>
        new(id, WorkspaceId, i.Email, i.Role, i.InvitedBy, i.InvitedAt, i.ExpiresAt, i.Status, i.AcceptedBy);

    private string WorkspaceId => this.GetPrimaryKeyString();

    private WorkspaceRole? RoleOf(string userId) =>
        workspace.State.IsCreated && userId is not null && workspace.State.Members.TryGetValue(userId, out var role) ? role : null;

    private WorkspaceView View(WorkspaceRole callerRole)
    {
        var s = workspace.State;
        return new WorkspaceView(this.GetPrimaryKeyString(), s.Name, s.Type, s.OwnerUserId, s.CreatedAt, s.FreeCredits, callerRole, s.ConsumptionOrder);
    }

    Task<string?> IWorkspaceGrain.GetOwnerUserId() => Task.FromResult(workspace.State.IsCreated ? workspace.State.OwnerUserId : null);

    /// <summary>W1/C1: the owner's welcome email with the free-credit grant. One per workspace (the id is the workspace's).</summary>
    private Task RaiseCreatedAsync()
    {
        var s = workspace.State;
        return events.Publish(new Billing.Notifications.WorkspaceCreated
        {
            EventId = $"workspace-created:{this.GetPrimaryKeyString()}",
            WorkspaceId = this.GetPrimaryKeyString(),
            OccurredAt = s.CreatedAt,
            WorkspaceName = s.Name,
            OwnerUserId = s.OwnerUserId,
            FreeCreditsUsd = s.FreeCredits?.AmountUsd ?? 0m,
            FreeCreditsExpireAt = s.FreeCredits?.ExpiresAt ?? s.CreatedAt,
        });
    }
}
