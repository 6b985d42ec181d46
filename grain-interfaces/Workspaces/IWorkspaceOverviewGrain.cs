using Billing.Apps;
using Billing.Usage;

namespace Billing.Workspaces;

/// <summary>
/// U3: the Plan &amp; Usage view of one workspace, gathered in one call from the workspace, its apps, their wallets,
/// the free-credit pool and the usage roll-ups. Stateless: it holds nothing, every figure is read from its owner.
/// </summary>
public interface IWorkspaceOverviewGrain : IGrainWithIntegerKey
{
    /// <summary>The overview as <paramref name="viewerUserId"/> (a member) sees it, or null for a non-member or an unknown workspace.</summary>
    Task<WorkspaceOverview?> Get(string workspaceId, string viewerUserId);
}

/// <summary>Whether an app can answer on channels now (C5): Inactive when neither paid nor free credits can back it.</summary>
public enum AppActivity
{
    Active = 0,
    Inactive = 1,
}

[GenerateSerializer, Immutable, Alias("billing.overview.workspace")]
public sealed record WorkspaceOverview(
    [property: Id(0)] string WorkspaceId,
    [property: Id(1)] string Name,
    [property: Id(2)] WorkspaceType Type,
    [property: Id(3)] DateTimeOffset AsOf,
    [property: Id(4)] IReadOnlyList<AppOverview> Apps,
    [property: Id(5)] int PaidApps,
    [property: Id(6)] int InactiveApps,
    [property: Id(7)] FreeCreditOverview FreeCredits,
    [property: Id(8)] decimal CurrentCreditsUsd,
    [property: Id(9)] long? AllowedRequestsPerMonth,
    [property: Id(10)] long RequestsThisMonth,
    [property: Id(11)] IReadOnlyList<UsageTrendPoint> UsageTrend,
    [property: Id(12)] EnterpriseLicense? License,
    [property: Id(13)] string Currency = "USD");

/// <summary>C1, C2 as the overview shows them.</summary>
[GenerateSerializer, Immutable, Alias("billing.overview.free-credits")]
public sealed record FreeCreditOverview(
    [property: Id(0)] decimal GrantedUsd,
    [property: Id(1)] decimal UsedUsd,
    [property: Id(2)] decimal RemainingUsd,
    [property: Id(3)] decimal ForfeitedUsd,
    [property: Id(4)] DateTimeOffset? ExpiresAt,
    [property: Id(5)] bool Expired);

/// <summary>
/// One app in the overview. The subscription fields (P2: support plan, subscription type, fee, renewal due date) are
/// null while the app has no subscription; see <c>WorkspaceOverviewGrain.SubscriptionOf</c>.
/// </summary>
[GenerateSerializer, Immutable, Alias("billing.overview.app")]
public sealed record AppOverview(
    [property: Id(0)] string AppId,
    [property: Id(1)] string Name,
    [property: Id(2)] Product Product,
    [property: Id(3)] UsagePlan Plan,
    [property: Id(4)] string OwnerUserId,
    [property: Id(5)] string? OwnerEmail,
    [property: Id(6)] PublishStatus PublishStatus,
    [property: Id(7)] decimal PaidBalanceUsd,
    [property: Id(8)] decimal FreeCreditsUsedUsd,
    [property: Id(9)] decimal FreeCreditsHeldUsd,
    [property: Id(10)] bool IsPaid,
    [property: Id(11)] AppActivity Status,
    [property: Id(12)] long? AllowedRequestsPerMonth,
    [property: Id(13)] long RequestsThisMonth,
    [property: Id(14)] string? SupportPlan,
    [property: Id(15)] string? SubscriptionType,
    [property: Id(16)] decimal? SubscriptionFeeUsd,
    [property: Id(17)] DateTimeOffset? RenewalDueAt);
