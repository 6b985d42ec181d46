namespace Billing.Workspaces;

[GenerateSerializer, Alias("billing.workspaces.state")]
public sealed class WorkspaceState
{
    [Id(0)] public string Name { get; set; } = "";
    [Id(1)] public WorkspaceType Type { get; set; }
    [Id(2)] public string OwnerUserId { get; set; } = "";
    [Id(3)] public DateTimeOffset CreatedAt { get; set; }
    [Id(4)] public FreeCreditGrant? FreeCredits { get; set; }

    /// <summary>Members by user id (the token's <c>sub</c>), the owner included.</summary>
    [Id(5)] public Dictionary<string, WorkspaceRole> Members { get; set; } = new(StringComparer.Ordinal);

    [Id(6)] public ConsumptionOrder ConsumptionOrder { get; set; }

    /// <summary>The workspace's apps; bounded by what a workspace builds, not by traffic.</summary>
    [Id(7)] public List<string> AppIds { get; set; } = [];

    /// <summary>W2: invitations by id; accepted and revoked ones stay (bounded by <see cref="TeamLimits.MaxOpenInvitations"/> open ones, old closed ones pruned).</summary>
    [Id(8)] public Dictionary<string, InvitationState> Invitations { get; set; } = new(StringComparer.Ordinal);

    /// <summary>W3: each app's owner, kept in step by the app grains (admission, transfer, deletion).</summary>
    [Id(9)] public Dictionary<string, string> AppOwners { get; set; } = new(StringComparer.Ordinal);

    /// <summary>W4: the Enterprise request, the license, and the plan switch not yet carried to the apps.</summary>
    [Id(10)] public EnterpriseRequestView? EnterpriseRequest { get; set; }
    [Id(11)] public EnterpriseLicense? License { get; set; }
    [Id(12)] public PlanSwitchTicket? PendingSwitch { get; set; }
    [Id(13)] public int PlanSwitches { get; set; }

    public bool IsCreated => OwnerUserId.Length > 0;
}

[GenerateSerializer, Alias("billing.workspaces.invitation-state")]
public sealed class InvitationState
{
    [Id(0)] public string Email { get; set; } = "";
    [Id(1)] public WorkspaceRole Role { get; set; }
    [Id(2)] public string InvitedBy { get; set; } = "";
    [Id(3)] public DateTimeOffset InvitedAt { get; set; }
    [Id(4)] public DateTimeOffset ExpiresAt { get; set; }
    [Id(5)] public InvitationStatus Status { get; set; }
    [Id(6)] public string? AcceptedBy { get; set; }

    /// <summary>Whether the invitation email was handed to the event sink (raised again on a retry until it was).</summary>
    [Id(7)] public bool EventRaised { get; set; }
}
