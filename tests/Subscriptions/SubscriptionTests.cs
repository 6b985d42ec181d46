using Billing.Apps;
using Billing.Errors;
using Billing.Invoices;
using Billing.Notifications;
using Billing.Payments;
using Billing.Subscriptions;
using Billing.Tests.Infrastructure;
using Billing.Tests.Payments;

namespace Billing.Tests.Subscriptions;

/// <summary>Usage and support subscriptions (P1-P5) with the sandbox gateway and a workspace test clock.</summary>
public sealed class SubscriptionTests(PaymentsFixture fx) : IClassFixture<PaymentsFixture>
{
    [Fact]
    public async Task Subscribing_to_a_usage_plan_charges_invoices_and_moves_the_app_to_the_plan_P1_P3()
    {
        var (ws, app, _) = await fx.NewAppAsync();
        var card = await fx.AddCardAsync(app);

        var sub = await Usage(app).Subscribe(Order(SubscriptionPlan.Essential, BillingPeriod.Monthly, card));

        Assert.Equal((SubscriptionStatus.Active, 500m), (sub.Status, sub.PriceUsd));
        Assert.Equal(sub.ActivatedAt!.Value.AddMonths(1), sub.RenewalDueAt);
        Assert.Equal(UsagePlan.Essential, (await fx.Client.GetGrain<IAppGrain>(app).Get())!.Plan);
        var invoice = Assert.Single(await fx.Client.GetGrain<IInvoiceQueryGrain>(0).List(ws, app));
        Assert.Equal((InvoiceSubject.UsagePlan, "Essential", 500m), (invoice.Draft.Subject, invoice.Draft.Plan, invoice.TotalUsd));
        Assert.Equal(SubscriptionChange.Purchased, Assert.Single(fx.EventsOf<SubscriptionChanged>(app)).Change);
    }

    [Fact]
    public async Task A_declined_order_changes_nothing_P3()
    {
        var (_, app, _) = await fx.NewAppAsync();
        var declining = await fx.AddCardAsync(app, "4000000000000002");

        var e = await Assert.ThrowsAsync<BillingException>(() => Support(app).Subscribe(Order(SubscriptionPlan.Enhanced, BillingPeriod.Yearly, declining)));

        Assert.Equal(("payment.declined", "paymentMethodId"), (e.Code, e.Field));
        Assert.Equal(SubscriptionStatus.None, (await Support(app).Get()).Status);
    }

    [Fact]
    public async Task The_renewal_notice_goes_five_days_ahead_and_the_renewal_charges_once_even_when_the_tick_is_doubled_P4()
    {
        var (ws, app, _) = await fx.NewAppAsync();
        var card = await fx.AddCardAsync(app);
        var sub = await Support(app).Subscribe(Order(SubscriptionPlan.Enhanced, BillingPeriod.Monthly, card));
        var clock = fx.Client.GetGrain<ITestClockGrain>(ws);
        var toNotice = sub.RenewalDueAt!.Value - SubscriptionRulesLead - sub.ActivatedAt!.Value;

        await clock.Advance(toNotice - TimeSpan.FromHours(1));
        var noticesBefore = Changes(app, SubscriptionChange.RenewalNotice);
        await clock.Advance(TimeSpan.FromHours(2));
        await Support(app).RunDue(); // doubled tick
        var notices = Changes(app, SubscriptionChange.RenewalNotice);
        await clock.Advance(SubscriptionRulesLead);
        // Doubled (and concurrent) ticks on the due date.
        await Task.WhenAll(Support(app).RunDue(), Support(app).RunDue(), Support(app).RunDue());
        var renewed = await Support(app).Get();

        Assert.Equal(0, noticesBefore);
        Assert.Equal(1, notices);
        Assert.Equal(sub.RenewalDueAt.Value.AddMonths(1), renewed.RenewalDueAt);
        Assert.Equal(2, renewed.InvoiceNumbers.Count);
        Assert.Equal(1, Changes(app, SubscriptionChange.Renewed));
        Assert.Equal(1, await SandboxGateway.CountChargesAsync(fx.SandboxCharges, $"{app}:support:renewal:"));
    }

    [Fact]
    public async Task A_failing_renewal_is_retried_on_the_dunning_schedule_then_lapses_to_the_free_plan_P4()
    {
        var (ws, app, _) = await fx.NewAppAsync();
        var good = await fx.AddCardAsync(app);
        var declining = await fx.AddCardAsync(app, "4000000000009995");
        var sub = await Usage(app).Subscribe(Order(SubscriptionPlan.Advanced, BillingPeriod.Monthly, good));
        await Usage(app).Subscribe(Order(SubscriptionPlan.Advanced, BillingPeriod.Monthly, declining)); // same plan, other method
        var clock = fx.Client.GetGrain<ITestClockGrain>(ws);
        var toDue = sub.RenewalDueAt!.Value - sub.ActivatedAt!.Value;

        await clock.Advance(toDue);
        var afterFirst = await Usage(app).Get();
        await clock.Advance(TimeSpan.FromDays(1));
        await clock.Advance(TimeSpan.FromDays(2));
        var beforeLast = await Usage(app).Get();
        await clock.Advance(TimeSpan.FromDays(4));
        var lapsed = await Usage(app).Get();

        Assert.Equal((SubscriptionStatus.PastDue, 1), (afterFirst.Status, afterFirst.FailedRenewalAttempts));
        Assert.Equal((SubscriptionStatus.PastDue, 3), (beforeLast.Status, beforeLast.FailedRenewalAttempts));
        Assert.Equal(SubscriptionStatus.Lapsed, lapsed.Status);
        Assert.Equal(UsagePlan.Standard, (await fx.Client.GetGrain<IAppGrain>(app).Get())!.Plan);
        Assert.Equal(3, Changes(app, SubscriptionChange.RenewalFailed));
        Assert.Equal(1, Changes(app, SubscriptionChange.Lapsed));
        Assert.Single(lapsed.InvoiceNumbers); // only the first purchase was ever paid
    }

    [Fact]
    public async Task A_cancelled_subscription_runs_to_the_end_of_the_paid_period_then_ends_without_a_charge_P5()
    {
        var (ws, app, owner) = await fx.NewAppAsync();
        var card = await fx.AddCardAsync(app);
        var sub = await Usage(app).Subscribe(Order(SubscriptionPlan.Essential, BillingPeriod.Yearly, card));

        var cancelled = await Usage(app).Cancel(owner);
        var planWhileCancelling = (await fx.Client.GetGrain<IAppGrain>(app).Get())!.Plan;
        await fx.Client.GetGrain<ITestClockGrain>(ws).Advance(sub.RenewalDueAt!.Value - sub.ActivatedAt!.Value);
        var ended = await Usage(app).Get();

        Assert.Equal(SubscriptionStatus.Cancelling, cancelled.Status);
        Assert.Equal(UsagePlan.Essential, planWhileCancelling);
        Assert.Equal(SubscriptionStatus.Ended, ended.Status);
        Assert.Equal(UsagePlan.Standard, (await fx.Client.GetGrain<IAppGrain>(app).Get())!.Plan);
        var cancellation = Assert.Single(fx.EventsOf<SubscriptionChanged>(app), e => e.Change == SubscriptionChange.Cancelled);
        Assert.Equal(sub.RenewalDueAt, cancellation.EffectiveAt);
        Assert.Single(ended.InvoiceNumbers);
        Assert.Equal(0, Changes(app, SubscriptionChange.RenewalNotice));
    }

    [Fact]
    public async Task An_upgrade_is_charged_prorated_now_and_a_downgrade_waits_for_the_renewal_P3()
    {
        var (ws, app, _) = await fx.NewAppAsync();
        var card = await fx.AddCardAsync(app);
        var sub = await Usage(app).Subscribe(Order(SubscriptionPlan.Essential, BillingPeriod.Monthly, card));
        var clock = fx.Client.GetGrain<ITestClockGrain>(ws);
        var period = sub.RenewalDueAt!.Value - sub.ActivatedAt!.Value;
        await clock.Advance(period / 2);

        var upgraded = await Usage(app).Subscribe(Order(SubscriptionPlan.Advanced, BillingPeriod.Monthly, card));
        var downgrade = await Usage(app).Subscribe(Order(SubscriptionPlan.Essential, BillingPeriod.Monthly, card));
        var planBeforeRenewal = (await fx.Client.GetGrain<IAppGrain>(app).Get())!.Plan;
        await clock.Advance(period / 2);
        var renewed = await Usage(app).Get();

        var invoices = await fx.Client.GetGrain<IInvoiceQueryGrain>(0).List(ws, app);
        Assert.Equal((SubscriptionPlan.Advanced, 1_500m), (upgraded.Plan, upgraded.PriceUsd));
        Assert.Equal(500m, invoices[1].TotalUsd); // half of the $1,000 difference
        Assert.Equal((SubscriptionPlan.Advanced, SubscriptionPlan.Essential), (downgrade.Plan, downgrade.PendingPlan));
        Assert.Equal(UsagePlan.Advanced, planBeforeRenewal);
        Assert.Equal((SubscriptionPlan.Essential, 500m, (SubscriptionPlan?)null), (renewed.Plan, renewed.PriceUsd, renewed.PendingPlan));
        Assert.Equal(500m, invoices.Count > 2 ? invoices[2].TotalUsd : (await fx.Client.GetGrain<IInvoiceQueryGrain>(0).List(ws, app))[2].TotalUsd);
        Assert.Equal(UsagePlan.Essential, (await fx.Client.GetGrain<IAppGrain>(app).Get())!.Plan);
    }

    [Fact]
    public async Task A_support_plan_cannot_be_bought_as_a_usage_plan_and_orders_are_idempotent_P3()
    {
        var (_, app, _) = await fx.NewAppAsync();
        var card = await fx.AddCardAsync(app);
        var order = Order(SubscriptionPlan.Enhanced, BillingPeriod.Monthly, card);

        var wrongKind = await Assert.ThrowsAsync<BillingException>(() => Usage(app).Subscribe(order));
        var first = await Support(app).Subscribe(order);
        var again = await Support(app).Subscribe(order);

        Assert.Equal("plan", wrongKind.Field);
        Assert.Equivalent(first, again, strict: true);
        Assert.Single(again.InvoiceNumbers);
    }

    [Fact]
    public async Task The_Plan_and_Usage_overview_shows_the_support_plan_its_type_fee_and_renewal_date_U3_P2()
    {
        var (ws, app, owner) = await fx.NewAppAsync();
        var overview = fx.Client.GetGrain<Billing.Workspaces.IWorkspaceOverviewGrain>(0);
        var before = Assert.Single((await overview.Get(ws, owner))!.Apps);
        var card = await fx.AddCardAsync(app);

        var sub = await Support(app).Subscribe(Order(SubscriptionPlan.Enhanced, BillingPeriod.Yearly, card));
        var after = Assert.Single((await overview.Get(ws, owner))!.Apps);

        Assert.Null(before.SupportPlan); // neither paid nor subscribed: no support plan
        Assert.Equal(("Enhanced", "Yearly", sub.PriceUsd, sub.RenewalDueAt), (after.SupportPlan, after.SubscriptionType, after.SubscriptionFeeUsd, after.RenewalDueAt));
    }

    private static readonly TimeSpan SubscriptionRulesLead = Billing.Rules.SubscriptionRules.RenewalNoticeLead;

    private int Changes(string app, SubscriptionChange change) => fx.EventsOf<SubscriptionChanged>(app).Count(e => e.Change == change);

    private ISubscriptionGrain Usage(string app) => fx.Client.GetGrain<ISubscriptionGrain>(SubscriptionKeys.For(app, PlanKind.Usage));

    private ISubscriptionGrain Support(string app) => fx.Client.GetGrain<ISubscriptionGrain>(SubscriptionKeys.For(app, PlanKind.Support));

    private static SubscriptionOrder Order(SubscriptionPlan plan, BillingPeriod period, string method) =>
        new("ord_" + Guid.NewGuid().ToString("N"), plan, period, method, "user-1");
}
