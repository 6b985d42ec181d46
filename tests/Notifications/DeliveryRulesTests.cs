using Billing.Apps;
using Billing.Notifications;
using Billing.Workspaces;

namespace Billing.Tests.Notifications;

/// <summary>The outbox's pure rules: recipients (W5), message keys (E2) and the back-off (E3).</summary>
public sealed class DeliveryRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 3, 10, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan[] Delays = [TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30)];

    [Fact]
    public void Failed_attempts_back_off_through_the_delays_and_the_last_attempt_gives_up_E3()
    {
        Assert.Equal(Now.AddMinutes(1), DeliveryRules.NextAttemptAt(1, Now, 5, Delays));
        Assert.Equal(Now.AddMinutes(5), DeliveryRules.NextAttemptAt(2, Now, 5, Delays));
        Assert.Equal(Now.AddMinutes(30), DeliveryRules.NextAttemptAt(3, Now, 5, Delays));
        Assert.Equal(Now.AddMinutes(30), DeliveryRules.NextAttemptAt(4, Now, 5, Delays)); // the last delay repeats
        Assert.Null(DeliveryRules.NextAttemptAt(5, Now, 5, Delays));
        Assert.Null(DeliveryRules.NextAttemptAt(1, Now, 1, Delays));
    }

    [Fact]
    public void A_message_key_depends_only_on_event_template_and_recipient_E2()
    {
        var key = DeliveryRules.MessageKey("purchase:pay_1", EmailTemplate.StandardPlanPurchase, "user:u1");
        Assert.Equal(key, DeliveryRules.MessageKey("purchase:pay_1", EmailTemplate.StandardPlanPurchase, "user:u1"));
        Assert.NotEqual(key, DeliveryRules.MessageKey("purchase:pay_1", EmailTemplate.StandardPlanPurchase, "user:u2"));
        Assert.NotEqual(key, DeliveryRules.MessageKey("purchase:pay_2", EmailTemplate.StandardPlanPurchase, "user:u1"));
        Assert.Equal(OutboxShards.OfEvent("purchase:pay_1"), OutboxShards.OfMessage(key));
        Assert.Null(OutboxShards.OfMessage("not-a-key"));
        Assert.Null(OutboxShards.OfMessage(key.ToUpperInvariant()));
    }

    [Fact]
    public void Events_spread_over_every_shard()
    {
        var shards = Enumerable.Range(0, 400).Select(i => OutboxShards.OfEvent($"event:{i}")).ToHashSet();
        Assert.Equal(Enumerable.Range(0, OutboxShards.Count).ToHashSet(), shards);
    }

    [Fact]
    public void A_plan_switch_mails_the_workspace_owner_and_each_impacted_app_owner_once_W5()
    {
        var ev = new WorkspacePlanSwitched
        {
            EventId = "switch", WorkspaceId = "ws", OccurredAt = Now, WorkspaceName = "Acme", FromType = WorkspaceType.Standard, ToType = WorkspaceType.Enterprise,
            ToPlan = UsagePlan.Enterprise, ImpactedApps = [new("a1", "One", "u1"), new("a2", "Two", "u1"), new("a3", "Three", "u2"), new("a4", "Four", "boss")],
        };
        var plan = NotificationPlan.Plan(ev, null, "boss");
        Assert.Equal(
            [new(EmailTemplate.WorkspacePlanSwitch, "user:boss"), new(EmailTemplate.WorkspacePlanSwitchImpactedApps, "user:u1"),
             new(EmailTemplate.WorkspacePlanSwitchImpactedApps, "user:u2"), new(EmailTemplate.WorkspacePlanSwitchImpactedApps, "user:boss")],
            plan);
    }

    [Fact]
    public void Free_credits_exhausted_mails_owners_of_inactive_apps_once_and_the_workspace_owner_the_summary()
    {
        var ev = new FreeCreditsExhausted
        {
            EventId = "gone", WorkspaceId = "ws", OccurredAt = Now, Reason = FreeCreditsEndReason.UsedUp, GrantedUsd = 500m, UsedUsd = 500m, ForfeitedUsd = 0m,
            Apps = [new("a1", "One", "u1", 100m, 0m, false), new("a2", "Two", "u1", 100m, 0m, false), new("a3", "Three", "u2", 300m, 10m, true)],
        };
        Assert.Equal(
            [new(EmailTemplate.FreeCreditsExhaustedInactiveApps, "user:u1"), new(EmailTemplate.FreeCreditsExhaustedWorkspaceSummary, "user:boss")],
            NotificationPlan.Plan(ev, null, "boss"));
    }

    [Fact]
    public void An_owner_that_cannot_be_found_becomes_an_unresolved_recipient()
    {
        var ev = new LowBalanceReached { EventId = "low", WorkspaceId = "ws", OccurredAt = Now, AppId = "gone", AppName = "Gone", BalanceUsd = 1m, LimitUsd = 50m };
        Assert.Equal("gone", NotificationPlan.AppOwnerNeeded(ev));
        var planned = Assert.Single(NotificationPlan.Plan(ev, null, null));
        Assert.StartsWith(Recipients.UnresolvedPrefix, planned.Recipient, StringComparison.Ordinal);
    }
}
