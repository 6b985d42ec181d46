using Billing.Apps;

namespace Billing.Workspaces;

public static class EnterpriseLimits
{
    public const int MaxNoteLength = 1000;
    public const long MaxRateLimitPerMinute = 10_000_000;
    public const long MaxAllowedRequestsPerMonth = 1_000_000_000_000;
}

public enum EnterpriseRequestStatus
{
    Pending = 0,
    Approved = 1,
}

/// <summary>W4: a Workspace Owner's or App Owner's request for an Enterprise contract.</summary>
[GenerateSerializer, Immutable, Alias("billing.workspaces.enterprise-request")]
public sealed record EnterpriseRequestView(
    [property: Id(0)] string RequestedByUserId,
    [property: Id(1)] DateTimeOffset RequestedAt,
    [property: Id(2)] IReadOnlyList<Product> Products,
    [property: Id(3)] string? Note,
    [property: Id(4)] EnterpriseRequestStatus Status);

/// <summary>
/// W4: the contract support approved: the licensed products (apps can be created only for these) and the contract
/// limits. <see cref="RateLimitPerMinute"/> and <see cref="AllowedRequestsPerMonth"/> are null for "no limit".
/// </summary>
[GenerateSerializer, Immutable, Alias("billing.workspaces.enterprise-license")]
public sealed record EnterpriseLicense(
    [property: Id(0)] IReadOnlyList<Product> Products,
    [property: Id(1)] long? RateLimitPerMinute,
    [property: Id(2)] long? AllowedRequestsPerMonth,
    [property: Id(3)] DateTimeOffset ApprovedAt,
    [property: Id(4)] string ApprovedBy);

/// <summary>The Enterprise side of a workspace: the open or approved request, the license, a plan switch not yet finished.</summary>
[GenerateSerializer, Immutable, Alias("billing.workspaces.enterprise-status")]
public sealed record EnterpriseStatus(
    [property: Id(0)] WorkspaceType Type,
    [property: Id(1)] EnterpriseRequestView? Request,
    [property: Id(2)] EnterpriseLicense? License,
    [property: Id(3)] PlanSwitchTicket? PendingSwitch);

/// <summary>
/// A plan switch recorded by the workspace and not yet carried to its apps: the orchestrator moves every app in
/// <see cref="AppIds"/> to the new plan, then completes the ticket (which raises <c>WorkspacePlanSwitched</c> once).
/// </summary>
[GenerateSerializer, Immutable, Alias("billing.workspaces.plan-switch-ticket")]
public sealed record PlanSwitchTicket(
    [property: Id(0)] int SwitchNumber,
    [property: Id(1)] WorkspaceType FromType,
    [property: Id(2)] WorkspaceType ToType,
    [property: Id(3)] UsagePlan ToPlan,
    [property: Id(4)] IReadOnlyList<string> AppIds);
