using Billing.Apps;
using Billing.Metering;
using Billing.Notifications;
using Billing.Subscriptions;
using Billing.Usage;
using Billing.Users;
using Billing.Wallets;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Billing.Workspaces;

/// <summary>
/// U3: gathers the Plan &amp; Usage view from the grains that own each figure (workspace, apps, wallets, free-credit
/// pool, usage roll-ups). Stateless and read-only: it caches nothing, so the view is as fresh as its owners.
/// </summary>
[StatelessWorker]
public sealed class WorkspaceOverviewGrain(BillingClock clock, IOptions<MeteringOptions> metering) : Grain, IWorkspaceOverviewGrain
{
    /// <summary>The usage trend shown: the last 7 days, per day (U1's default).</summary>
    private const int TrendDays = 7;

    async Task<WorkspaceOverview?> IWorkspaceOverviewGrain.Get(string workspaceId, string viewerUserId)
    {
        var workspaceGrain = GrainFactory.GetGrain<IWorkspaceGrain>(workspaceId);
        if (await workspaceGrain.GetForMember(viewerUserId) is not { } workspace)
            return null;
        var now = clock.UtcNow;
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var monthStart = new DateOnly(today.Year, today.Month, 1);
        var enterprise = await workspaceGrain.GetEnterpriseStatus();
        var free = await GrainFactory.GetGrain<IFreeCreditPoolGrain>(workspaceId).GetStats();
        var freeUsable = free.Expired || free.ExpiresAt is not { } expires || now >= expires ? 0m : free.RemainingUsd;
        var usage = GrainFactory.GetGrain<IUsageQueryGrain>(0);

        var apps = new List<AppOverview>();
        foreach (var appId in await workspaceGrain.GetAppIds())
        {
            // Listed but missing: a creation that failed half-way, or a deletion not yet unlisted.
            if (await GrainFactory.GetGrain<IAppGrain>(appId).Get() is not { } app)
                continue;
            var balance = await GrainFactory.GetGrain<IAppWalletGrain>(appId).GetBalance();
            var owner = await GrainFactory.User(app.OwnerUserId).Get();
            var drawn = free.Apps.FirstOrDefault(a => a.AppId == appId);
            var requests = (await usage.GetTrend([appId], monthStart, today, TrendGranularity.Month)).Sum(p => p.Requests);
            var isPaid = app.Plan != UsagePlan.Standard || balance.PaidUsd > 0m;
            var subscription = await SubscriptionOf(app, isPaid);
            // C5: an app answers while paid or free credits can back it; an Enterprise app is billed by its contract.
            var active = app.Plan == UsagePlan.Enterprise || balance.PaidUsd > 0m || freeUsable > 0m;
            apps.Add(new AppOverview(
                app.Id, app.Name, app.Product, app.Plan, app.OwnerUserId, owner?.Email, app.PublishStatus,
                balance.PaidUsd, drawn is null ? 0m : drawn.DrawnUsd - drawn.RemainingUsd, balance.FreeDrawnUsd,
                isPaid,
                active ? AppActivity.Active : AppActivity.Inactive,
                metering.Value.AllowedRequestsPerMonth.TryGetValue(app.Plan, out var cap) ? cap : null,
                requests,
                subscription?.SupportPlan, subscription?.SubscriptionType, subscription?.FeeUsd, subscription?.RenewalDueAt));
        }

        var appIds = apps.Select(a => a.AppId).ToList();
        var trend = await usage.GetTrend(appIds, today.AddDays(1 - TrendDays), today, TrendGranularity.Day);
        return new WorkspaceOverview(
            workspaceId, workspace.Name, workspace.Type, now, apps,
            PaidApps: apps.Count(a => a.IsPaid),
            InactiveApps: apps.Count(a => a.Status == AppActivity.Inactive),
            new FreeCreditOverview(free.GrantedUsd, free.UsedUsd, free.RemainingUsd, free.ForfeitedUsd, free.ExpiresAt, free.Expired || (free.ExpiresAt is { } at && now >= at)),
            CurrentCreditsUsd: apps.Sum(a => a.PaidBalanceUsd) + freeUsable,
            AllowedRequestsPerMonth: enterprise.License?.AllowedRequestsPerMonth,
            RequestsThisMonth: apps.Sum(a => a.RequestsThisMonth),
            trend, enterprise.License);
    }

    /// <summary>
    /// U3, P2: the app's support plan and its subscription (type, fee, renewal due date). A paid app without a support
    /// subscription has the Basic plan included (no fee, nothing to renew); an app with neither shows none.
    /// </summary>
    private async Task<SubscriptionFields?> SubscriptionOf(AppView app, bool isPaid)
    {
        var support = await GrainFactory.GetGrain<ISubscriptionGrain>(SubscriptionKeys.For(app.Id, PlanKind.Support)).Get();
        if (support.Plan is { } plan && support.Status is SubscriptionStatus.Active or SubscriptionStatus.PastDue or SubscriptionStatus.Cancelling)
            return new SubscriptionFields(plan.ToString(), support.Period?.ToString(), support.PriceUsd, support.Status == SubscriptionStatus.Cancelling ? null : support.RenewalDueAt);
        return isPaid ? new SubscriptionFields(nameof(SubscriptionPlan.Basic), null, null, null) : null;
    }

    private sealed record SubscriptionFields(string SupportPlan, string? SubscriptionType, decimal? FeeUsd, DateTimeOffset? RenewalDueAt);
}
