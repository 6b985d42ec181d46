using Billing.Apps;
using Billing.Notifications;
using Billing.Workspaces;

namespace Billing.Tests.Notifications;

/// <summary>One event per template of the seed's table (E1), with what its email must show and to whom it goes.</summary>
/// <param name="Expected">Strings both bodies must contain: the table's field labels, their values, the links.</param>
/// <param name="Absent">Strings neither body may contain (fields the seed shows only under a condition).</param>
/// <param name="Recipient">The outbox recipient key the email must be planned for.</param>
public sealed record TemplateSample(EmailTemplate Template, BillingEvent Event, string[] Expected, string Recipient, string[]? Absent = null)
{
    public override string ToString() => Template.ToString();
}

/// <summary>The world the samples live in: a workspace with one app, its owner, a buyer and an invited address.</summary>
public sealed record SampleWorld(string WorkspaceId, string AppId, string OwnerUserId, string BuyerUserId, string InvitedEmail, string Tag)
{
    public const string WorkspaceName = "Acme Support";
    public const string AppName = "Order bot";
    public const string PortalBaseUrl = "https://portal.example.test/";

    public static SampleWorld New()
    {
        var tag = Guid.NewGuid().ToString("N")[..12];
        return new("ws_" + Guid.NewGuid().ToString("N"), "app_" + Guid.NewGuid().ToString("N"), "owner-" + tag, "buyer-" + tag, $"invitee-{tag}@example.test", tag);
    }
}

public static class TemplateSamples
{
    private static readonly DateTimeOffset At = new(2026, 11, 3, 10, 30, 0, TimeSpan.Zero);
    private static readonly PaymentMethodSummary Card = new(PaymentMethodKind.Card, "Visa ending 4242");
    private static readonly PaymentMethodSummary PayPal = new(PaymentMethodKind.PayPal, "pay***@example.test");

    public static IReadOnlyList<TemplateSample> All(SampleWorld w)
    {
        var owner = "user:" + w.OwnerUserId;
        var ws = w.WorkspaceId;
        var portal = SampleWorld.PortalBaseUrl.TrimEnd('/');
        var appUrl = $"{portal}/workspaces/{ws}/apps/{w.AppId}";
        string Id(string what) => $"{what}:{w.Tag}";
        var support = new SubscriptionSummary("sub-1", PlanKind.Support, "Enhanced Support", 49m, BillingPeriod.Monthly);
        var essential = new SubscriptionSummary("sub-2", PlanKind.Usage, "Essential", 1200m, BillingPeriod.Yearly);
        SubscriptionChanged Sub(string id, SubscriptionChange change, SubscriptionSummary s, DateTimeOffset? effective = null) => new()
        {
            EventId = Id(id), WorkspaceId = ws, OccurredAt = At, AppId = w.AppId, AppName = SampleWorld.AppName,
            Change = change, Subscription = s, ActivatedOn = At, NextRenewalOn = At.AddMonths(1), EffectiveAt = effective, PaymentMethod = Card,
        };
        AppFirstPublished Publish(string id, PublishApproval approval, PublishFunding funding) => new()
        {
            EventId = Id(id), WorkspaceId = ws, OccurredAt = At, AppId = w.AppId, AppName = SampleWorld.AppName, Approval = approval, Funding = funding,
        };
        var freeGone = new FreeCreditsExhausted
        {
            EventId = Id("free-gone"), WorkspaceId = ws, OccurredAt = At, Reason = FreeCreditsEndReason.Expired, GrantedUsd = 500m, UsedUsd = 312.4m, ForfeitedUsd = 187.6m,
            Apps = [new(w.AppId, SampleWorld.AppName, w.OwnerUserId, 312.4m, 0m, false), new("app_other", "FAQ bot", w.BuyerUserId, 0m, 25m, true)],
        };
        var planSwitch = new WorkspacePlanSwitched
        {
            EventId = Id("plan-switch"), WorkspaceId = ws, OccurredAt = At, WorkspaceName = SampleWorld.WorkspaceName,
            FromType = WorkspaceType.Standard, ToType = WorkspaceType.Enterprise, ToPlan = UsagePlan.Enterprise,
            ImpactedApps = [new(w.AppId, SampleWorld.AppName, w.OwnerUserId)],
        };

        return
        [
            new(EmailTemplate.SignUpConfirmation,
                new SignUpConfirmationRequested { EventId = Id("signup"), WorkspaceId = ws, OccurredAt = At, UserId = "new-user", Email = w.InvitedEmail, IsResend = false },
                ["Confirm your email address", $"{portal}/sign-up/confirm?user=new-user"], "email:" + w.InvitedEmail),
            new(EmailTemplate.SignUpConfirmationResend,
                new SignUpConfirmationRequested { EventId = Id("signup-again"), WorkspaceId = ws, OccurredAt = At, UserId = "new-user", Email = w.InvitedEmail, IsResend = true },
                ["Here is your confirmation link again", $"{portal}/sign-up/confirm?user=new-user"], "email:" + w.InvitedEmail),
            new(EmailTemplate.WorkspaceCreated,
                new WorkspaceCreated { EventId = Id("ws-created"), WorkspaceId = ws, OccurredAt = At, WorkspaceName = SampleWorld.WorkspaceName, OwnerUserId = w.OwnerUserId, FreeCreditsUsd = 500m, FreeCreditsExpireAt = At.AddDays(90) },
                [SampleWorld.WorkspaceName, "Free Credits", "$500.00", "Free Credits Expire On", "1 Feb 2027", $"{portal}/workspaces/{ws}"], owner),
            new(EmailTemplate.MemberInvited,
                new MemberInvited { EventId = Id("invite"), WorkspaceId = ws, OccurredAt = At, WorkspaceName = SampleWorld.WorkspaceName, InvitationId = "inv-7", Email = w.InvitedEmail, Role = WorkspaceRole.Admin, InvitedByUserId = w.OwnerUserId },
                [SampleWorld.WorkspaceName, "Role", "Admin", $"{portal}/workspaces/{ws}/invitations/inv-7"], "email:" + w.InvitedEmail),
            new(EmailTemplate.FirstPublishAutoApprovalFreeCredits, Publish("pub-af", PublishApproval.Auto, PublishFunding.FreeCredits),
                ["Bot Name", SampleWorld.AppName, "Auto approval", "Free credits", "3 Nov 2026"], owner),
            new(EmailTemplate.FirstPublishAdminApprovalFreeCredits, Publish("pub-mf", PublishApproval.Admin, PublishFunding.FreeCredits),
                ["Bot Name", SampleWorld.AppName, "Admin approval", "Free credits"], owner),
            new(EmailTemplate.FirstPublishAutoApprovalPaidCredits, Publish("pub-ap", PublishApproval.Auto, PublishFunding.PaidCredits),
                ["Bot Name", SampleWorld.AppName, "Auto approval", "Paid credits"], owner),
            new(EmailTemplate.FirstPublishAdminApprovalPaidCredits, Publish("pub-mp", PublishApproval.Admin, PublishFunding.PaidCredits),
                ["Bot Name", SampleWorld.AppName, "Admin approval", "Paid credits"], owner),
            // The seed: the reload amount and minimum appear only when auto-reload is enabled.
            new(EmailTemplate.StandardPlanPurchase,
                new CreditsPurchased
                {
                    EventId = Id("purchase"), WorkspaceId = ws, OccurredAt = At, AppId = w.AppId, AppName = SampleWorld.AppName, IsAutoReload = false, PurchasedByUserId = w.BuyerUserId,
                    PreviousBalanceUsd = 10m, OrderAmountUsd = 1000m, CurrentBalanceUsd = 1010m, AutoReload = new(false, null, null), PaymentMethod = Card,
                },
                ["Bot Name", SampleWorld.AppName, "Previous Balance", "$10.00", "Order Amount", "$1,000.00", "Purchase Date", "3 Nov 2026", "Current Balance", "$1,010.00", "Auto-Recharge Status", "Not Activated"],
                "user:" + w.BuyerUserId, ["Auto Recharge Amount", "Minimum Credit to be Maintained"]),
            new(EmailTemplate.StandardPlanAutoReload,
                new CreditsPurchased
                {
                    EventId = Id("reload"), WorkspaceId = ws, OccurredAt = At, AppId = w.AppId, AppName = SampleWorld.AppName, IsAutoReload = true, PurchasedByUserId = null,
                    PreviousBalanceUsd = 19.8m, OrderAmountUsd = 50m, CurrentBalanceUsd = 69.8m, AutoReload = new(true, 50m, 20m), PaymentMethod = Card,
                },
                ["Bot Name", "Previous Balance", "$19.80", "Order Amount", "$50.00", "Purchase Date", "Current Balance", "$69.80", "Auto-Recharge Status", "Activated",
                 "Auto Recharge Amount", "Minimum Credit to be Maintained", "$20.00"], owner),
            new(EmailTemplate.OrderInvoice,
                new InvoiceIssued { EventId = Id("invoice"), WorkspaceId = ws, OccurredAt = At, AppId = w.AppId, AppName = SampleWorld.AppName, InvoiceNumber = "INV-2026-0042", Subject = InvoiceSubject.UsagePlan, Plan = "Essential", PlanPriceUsd = 1200m, TotalUsd = 1200m },
                ["Order Invoice", $"{portal}/workspaces/{ws}/invoices/INV-2026-0042", "Invoice Number", "INV-2026-0042", "Date", "Plan", "Essential", "Plan Price", "$1,200.00", "Invoice Total", "Customer Control Panel URL", appUrl], owner),
            new(EmailTemplate.AutoRechargeEnabled,
                new AutoReloadChanged { EventId = Id("ar-on"), WorkspaceId = ws, OccurredAt = At, AppId = w.AppId, AppName = SampleWorld.AppName, AutoReload = new(true, 75m, 25m), PaymentMethod = Card },
                ["Bot Name", "Auto Reload Status", "Activated", "Auto Reload Amount", "$75.00", "Minimum Credit to be Maintained", "$25.00", "Payment", "Card Visa ending 4242"], owner),
            new(EmailTemplate.AutoRechargeDisabled,
                new AutoReloadChanged { EventId = Id("ar-off"), WorkspaceId = ws, OccurredAt = At, AppId = w.AppId, AppName = SampleWorld.AppName, AutoReload = new(false, null, null), PaymentMethod = null },
                ["Bot Name", SampleWorld.AppName, "Auto Reload Status", "Not Activated", $"{appUrl}/wallet/auto-reload"], owner),
            new(EmailTemplate.LowBalanceAlert,
                new LowBalanceReached { EventId = Id("low"), WorkspaceId = ws, OccurredAt = At, AppId = w.AppId, AppName = SampleWorld.AppName, BalanceUsd = 49.6m, LimitUsd = 50m },
                ["Current Balance", "$49.60", "Low Balance Limit", "$50.00", $"{appUrl}/wallet/auto-reload"], owner),
            new(EmailTemplate.PaidWalletZeroNoFreeCredits,
                new PaidWalletExhausted { EventId = Id("paid-zero"), WorkspaceId = ws, OccurredAt = At, AppId = w.AppId, AppName = SampleWorld.AppName, FreeCreditsAvailable = false, FreeCreditsRemainingUsd = 0m },
                ["Bot Name", "Paid Balance", "$0.00", "Recharge now", $"{appUrl}/wallet/recharge"], owner),
            new(EmailTemplate.PaidWalletZeroFreeCreditsAvailable,
                new PaidWalletExhausted { EventId = Id("paid-zero-free"), WorkspaceId = ws, OccurredAt = At, AppId = w.AppId, AppName = SampleWorld.AppName, FreeCreditsAvailable = true, FreeCreditsRemainingUsd = 123.45m },
                ["Free Credits Available", "$123.45", "Recharge now", $"{appUrl}/wallet/recharge"], owner),
            new(EmailTemplate.FreeCreditsExhaustedInactiveApps, freeGone,
                ["Inactive Bots", SampleWorld.AppName, $"{appUrl}/wallet/recharge"], owner, ["FAQ bot"]),
            new(EmailTemplate.FreeCreditsExhaustedWorkspaceSummary, freeGone,
                ["Free Credits Granted", "$500.00", "Free Credits Used", "$312.40", "Free Credits Expired", "$187.60", SampleWorld.AppName, "FAQ bot", "$25.00", "Inactive", "Active"], owner),
            new(EmailTemplate.WorkspacePlanSwitch, planSwitch,
                [SampleWorld.WorkspaceName, "Previous Plan", "Standard", "New Plan", "Enterprise", "Impacted Bots", SampleWorld.AppName], owner),
            new(EmailTemplate.WorkspacePlanSwitchImpactedApps, planSwitch,
                ["Your Bots", SampleWorld.AppName, "Explore benefits", $"{portal}/workspaces/{ws}/plans"], owner),
            new(EmailTemplate.AutoRechargeFailureCard,
                new AutoReloadFailed { EventId = Id("fail-card"), WorkspaceId = ws, OccurredAt = At, AppId = w.AppId, AppName = SampleWorld.AppName, PaymentMethod = Card, AmountUsd = 50m, AttemptedAt = At, Plan = "Standard", FailureReason = "card_declined" },
                ["Subscription Plan", "Standard", "Subscription Price", "$50.00", $"{appUrl}/payment-methods"], owner),
            new(EmailTemplate.AutoRechargeFailurePayPal,
                new AutoReloadFailed { EventId = Id("fail-paypal"), WorkspaceId = ws, OccurredAt = At, AppId = w.AppId, AppName = SampleWorld.AppName, PaymentMethod = PayPal, AmountUsd = 50m, AttemptedAt = At, Plan = "Standard", FailureReason = "paypal_error" },
                ["Previous Charge Attempted On", "3 Nov 2026", "Invoiced Amount", "$50.00", "Payment Method", "pay***@example.test"], owner),
            new(EmailTemplate.PaymentMethodNearingExpiry,
                new PaymentMethodExpiry { EventId = Id("card-soon"), WorkspaceId = ws, OccurredAt = At, AppId = w.AppId, AppName = SampleWorld.AppName, OwnerUserId = w.OwnerUserId, PaymentMethod = Card, ExpiresOn = new DateOnly(2026, 11, 30), HasExpired = false },
                ["Payment Method", "Visa ending 4242", "Expires On", "30 Nov 2026", $"{appUrl}/payment-methods"], owner),
            new(EmailTemplate.PaymentMethodExpired,
                new PaymentMethodExpiry { EventId = Id("card-gone"), WorkspaceId = ws, OccurredAt = At, AppId = null, AppName = null, OwnerUserId = w.OwnerUserId, PaymentMethod = Card, ExpiresOn = new DateOnly(2026, 10, 31), HasExpired = true },
                ["Expired On", "31 Oct 2026", $"{portal}/workspaces/{ws}/payment-methods"], owner),
            new(EmailTemplate.SubscriptionCancelled, Sub("cancel", SubscriptionChange.Cancelled, essential, At.AddMonths(2)),
                ["Plan", "Essential", "Plan Price", "$1,200.00 charged Annually", "Plan Cancellation Date", "3 Nov 2026"], owner),
            new(EmailTemplate.SupportPlanPurchase, Sub("support-buy", SubscriptionChange.Purchased, support),
                ["Bot Name", SampleWorld.AppName, "Plan", "Enhanced Support", "Plan Price", "$49.00 charged Monthly", "Plan Activated On", "3 Nov 2026", "Next Renewal On", "3 Dec 2026"], owner),
            new(EmailTemplate.SupportPlanInvoice,
                new InvoiceIssued { EventId = Id("support-invoice"), WorkspaceId = ws, OccurredAt = At, AppId = w.AppId, AppName = SampleWorld.AppName, InvoiceNumber = "INV-2026-0043", Subject = InvoiceSubject.SupportPlan, Plan = "Enhanced Support", PlanPriceUsd = 49m, TotalUsd = 49m },
                ["Order Invoice", "Invoice Number", "INV-2026-0043", "Date", "Plan", "Enhanced Support", "Plan Price", "$49.00", "Invoice Total", "Customer Control Panel URL"], owner),
            new(EmailTemplate.PlanAutoRenewalNotice, Sub("renewal-notice", SubscriptionChange.RenewalNotice, support),
                ["Bot Name", "Plan", "Enhanced Support", "Plan Price", "$49.00 charged Monthly", "Renewal Date", "3 Dec 2026", $"{appUrl}/payment-methods"], owner),
            new(EmailTemplate.PlanRenewalPaymentFailed, Sub("renewal-failed", SubscriptionChange.RenewalFailed, support, At.AddDays(1)),
                ["Bot Name", "Plan", "Enhanced Support", "Plan Price", "Charge Attempted On", "4 Nov 2026", $"{appUrl}/payment-methods"], owner),
            new(EmailTemplate.UsagePlanPurchase, Sub("usage-buy", SubscriptionChange.Purchased, essential),
                ["Bot Name", "Plan", "Essential", "$1,200.00 charged Annually", "Plan Activated On", "Next Renewal On"], owner),
            new(EmailTemplate.SubscriptionModified, Sub("modified", SubscriptionChange.Modified, essential),
                ["Plan", "Essential", "Effective On"], owner),
            new(EmailTemplate.SubscriptionRenewed, Sub("renewed", SubscriptionChange.Renewed, support),
                ["Plan", "Enhanced Support", "Renewed On", "Next Renewal On"], owner),
            new(EmailTemplate.SubscriptionLapsed, Sub("lapsed", SubscriptionChange.Lapsed, support, At.AddDays(7)),
                ["Plan", "Enhanced Support", "Ended On", "10 Nov 2026", $"{appUrl}/payment-methods"], owner),
        ];
    }
}
