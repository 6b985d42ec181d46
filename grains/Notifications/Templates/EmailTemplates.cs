using System.Globalization;

namespace Billing.Notifications.Templates;

/// <summary>
/// E1: the content of every template of the seed's "System-Triggered Email Templates" table, with the fields the
/// table lists and the links it names, built from the event alone (plus the recipient, for the emails that list
/// only the recipient's own apps). Pure, so each template is unit-tested without a cluster; the outbox renders at
/// send time from the stored event, so a retried send shows exactly what the first one did.
/// </summary>
public static class EmailTemplates
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static RenderedEmail Render(EmailTemplate template, BillingEvent billingEvent, string recipient, string? recipientName, PortalLinks links) =>
        EmailLayout.Render(Content(template, billingEvent, recipient, links), recipientName);

    public static EmailContent Content(EmailTemplate template, BillingEvent ev, string recipient, PortalLinks links) => (template, ev) switch
    {
        (EmailTemplate.SignUpConfirmation or EmailTemplate.SignUpConfirmationResend, SignUpConfirmationRequested e) => SignUp(e, links),
        (EmailTemplate.WorkspaceCreated, WorkspaceCreated e) => new(
            $"Your workspace {e.WorkspaceName} is ready",
            "Welcome to your new workspace",
            [$"Your workspace {e.WorkspaceName} has been created with free credits that all its virtual assistants share."],
            [F("Workspace", e.WorkspaceName), F("Free Credits", Usd(e.FreeCreditsUsd)), F("Free Credits Expire On", Date(e.FreeCreditsExpireAt))],
            [new("Customer Control Panel", links.ControlPanel(e.WorkspaceId))]),
        (EmailTemplate.MemberInvited, MemberInvited e) => new(
            $"You are invited to the workspace {e.WorkspaceName}",
            "You have been invited",
            [$"You have been invited to join the workspace {e.WorkspaceName} as {e.Role}."],
            [F("Workspace", e.WorkspaceName), F("Role", e.Role.ToString())],
            [new("Accept the invitation", links.AcceptInvitation(e.WorkspaceId, e.InvitationId))]),
        (EmailTemplate.FirstPublishAutoApprovalFreeCredits or EmailTemplate.FirstPublishAdminApprovalFreeCredits
            or EmailTemplate.FirstPublishAutoApprovalPaidCredits or EmailTemplate.FirstPublishAdminApprovalPaidCredits, AppFirstPublished e) => FirstPublish(e, links),
        (EmailTemplate.StandardPlanPurchase or EmailTemplate.StandardPlanAutoReload, CreditsPurchased e) => Purchase(e, links),
        (EmailTemplate.OrderInvoice or EmailTemplate.SupportPlanInvoice, InvoiceIssued e) => Invoice(template, e, links),
        (EmailTemplate.AutoRechargeEnabled, AutoReloadChanged e) => new(
            $"Auto-recharge is enabled for {e.AppName}",
            "Auto-recharge is enabled",
            [$"Credits of {e.AppName} are now reloaded automatically when its balance falls to the minimum below."],
            [F("Bot Name", e.AppName), F("Auto Reload Status", "Activated"), F("Auto Reload Amount", Usd(e.AutoReload.ReloadAmountUsd)),
             F("Minimum Credit to be Maintained", Usd(e.AutoReload.MinimumBalanceUsd)), F("Payment", Payment(e.PaymentMethod))],
            [new("Customer Control Panel", links.App(e.WorkspaceId, e.AppId))],
            Note: "Auto-reload can only be enabled after one or more previous purchases."),
        (EmailTemplate.AutoRechargeDisabled, AutoReloadChanged e) => new(
            $"Auto-recharge is disabled for {e.AppName}",
            "Auto-recharge is disabled",
            [$"Credits of {e.AppName} are no longer reloaded automatically. When its balance runs out, it stops answering."],
            [F("Bot Name", e.AppName), F("Auto Reload Status", "Not Activated")],
            [new("Reactivate auto-reload", links.ReactivateAutoReload(e.WorkspaceId, e.AppId))]),
        (EmailTemplate.LowBalanceAlert, LowBalanceReached e) => new(
            $"Low balance: {e.AppName} has {Usd(e.BalanceUsd)} left",
            "Your balance is low",
            [$"The paid balance of {e.AppName} has reached the low-balance limit and auto-reload is not active. Activate auto-reload or recharge so that it keeps answering."],
            [F("Bot Name", e.AppName), F("Current Balance", Usd(e.BalanceUsd)), F("Low Balance Limit", Usd(e.LimitUsd))],
            [new("Activate auto-reload", links.ReactivateAutoReload(e.WorkspaceId, e.AppId)), new("Recharge now", links.RechargeNow(e.WorkspaceId, e.AppId))]),
        (EmailTemplate.PaidWalletZeroNoFreeCredits, PaidWalletExhausted e) => new(
            $"{e.AppName} has run out of credits",
            "Paid credits and free credits are exhausted",
            [$"The paid balance of {e.AppName} is $0.00 and there are no free credits to back it up. It stops answering until you recharge."],
            [F("Bot Name", e.AppName), F("Paid Balance", Usd(0m)), F("Free Credits Available", Usd(0m))],
            [new("Recharge now", links.RechargeNow(e.WorkspaceId, e.AppId))]),
        (EmailTemplate.PaidWalletZeroFreeCreditsAvailable, PaidWalletExhausted e) => new(
            $"{e.AppName} is now using free credits",
            "Paid credits are exhausted",
            [$"The paid balance of {e.AppName} is $0.00. It keeps answering on the free credits shared by your workspace until they run out."],
            [F("Bot Name", e.AppName), F("Paid Balance", Usd(0m)), F("Free Credits Available", Usd(e.FreeCreditsRemainingUsd))],
            [new("Recharge now", links.RechargeNow(e.WorkspaceId, e.AppId))]),
        (EmailTemplate.FreeCreditsExhaustedInactiveApps, FreeCreditsExhausted e) => InactiveApps(e, recipient, links),
        (EmailTemplate.FreeCreditsExhaustedWorkspaceSummary, FreeCreditsExhausted e) => new(
            "Free credits of your workspace are exhausted",
            "Free credits exhausted: workspace summary",
            [e.Reason == FreeCreditsEndReason.Expired
                ? "The free credits of your workspace have expired. Here is how each virtual assistant used them and where it stands now."
                : "The free credits of your workspace have been used up. Here is how each virtual assistant used them and where it stands now."],
            [F("Reason", e.Reason == FreeCreditsEndReason.Expired ? "Expired" : "Used up"), F("Free Credits Granted", Usd(e.GrantedUsd)),
             F("Free Credits Used", Usd(e.UsedUsd)), F("Free Credits Expired", Usd(e.ForfeitedUsd)), F("Date", Date(e.OccurredAt))],
            [new("Customer Control Panel", links.ControlPanel(e.WorkspaceId))],
            new EmailTable(["Bot Name", "Free Credits Used", "Paid Balance", "Status"],
                [.. e.Apps.Select(a => (IReadOnlyList<string>)[a.AppName, Usd(a.FreeCreditsUsedUsd), Usd(a.PaidBalanceUsd), a.Active ? "Active" : "Inactive"])])),
        (EmailTemplate.WorkspacePlanSwitch, WorkspacePlanSwitched e) => new(
            $"Your workspace {e.WorkspaceName} is now on the {e.ToType} plan",
            "Workspace plan switched",
            [$"The workspace {e.WorkspaceName} has been switched from the {e.FromType} plan to the {e.ToType} plan."],
            [F("Workspace", e.WorkspaceName), F("Previous Plan", e.FromType.ToString()), F("New Plan", e.ToType.ToString()),
             F("Usage Plan of the Apps", e.ToPlan.ToString()), F("Date", Date(e.OccurredAt)), F("Impacted Bots", Names(e.ImpactedApps.Select(a => a.AppName)))],
            [new("Customer Control Panel", links.ControlPanel(e.WorkspaceId))]),
        (EmailTemplate.WorkspacePlanSwitchImpactedApps, WorkspacePlanSwitched e) => ImpactedApps(e, recipient, links),
        (EmailTemplate.AutoRechargeFailureCard, AutoReloadFailed e) => new(
            $"We could not charge your card for {e.AppName}",
            "Auto-recharge failed",
            [$"Your credit card could not be authorized for the auto-recharge of {e.AppName}. Update your payment method so that it keeps answering."],
            [F("Bot Name", e.AppName), F("Subscription Plan", e.Plan), F("Subscription Price", Usd(e.AmountUsd)), F("Payment Method", e.PaymentMethod.Display),
             F("Charge Attempted On", Date(e.AttemptedAt))],
            [new("Update payment method", links.UpdatePaymentMethod(e.WorkspaceId, e.AppId))]),
        (EmailTemplate.AutoRechargeFailurePayPal, AutoReloadFailed e) => new(
            $"We could not charge your PayPal account for {e.AppName}",
            "Auto-recharge failed",
            [$"There was an error charging your payment via PayPal for the auto-recharge of {e.AppName}."],
            [F("Bot Name", e.AppName), F("Previous Charge Attempted On", Date(e.AttemptedAt)), F("Invoiced Amount", Usd(e.AmountUsd)),
             F("Payment Method", e.PaymentMethod.Display)],
            [new("Update payment method", links.UpdatePaymentMethod(e.WorkspaceId, e.AppId))]),
        (EmailTemplate.PaymentMethodNearingExpiry, PaymentMethodExpiry e) => new(
            "Your payment method expires soon",
            "Reminder: payment method nearing expiry",
            [$"Your payment method {e.PaymentMethod.Display} expires on {Date(e.ExpiresOn)}. Update it to avoid interruptions."],
            [F("Payment Method", e.PaymentMethod.Display), F("Expires On", Date(e.ExpiresOn)), .. OptionalBot(e.AppName)],
            [new("Update payment method", links.UpdatePaymentMethod(e.WorkspaceId, e.AppId))]),
        (EmailTemplate.PaymentMethodExpired, PaymentMethodExpiry e) => new(
            "Your payment method has expired",
            "Payment method expired",
            [$"Your payment method {e.PaymentMethod.Display} expired on {Date(e.ExpiresOn)}. Update it so that charges and renewals succeed."],
            [F("Payment Method", e.PaymentMethod.Display), F("Expired On", Date(e.ExpiresOn)), .. OptionalBot(e.AppName)],
            [new("Update payment method", links.UpdatePaymentMethod(e.WorkspaceId, e.AppId))]),
        (_, SubscriptionChanged e) => Subscription(template, e, links),
        _ => throw new InvalidOperationException($"Template {template} does not apply to a {ev.GetType().Name} event."),
    };

    private static EmailContent SignUp(SignUpConfirmationRequested e, PortalLinks links) => new(
        "Confirm your email address",
        e.IsResend ? "Here is your confirmation link again" : "Confirm your email address",
        [e.IsResend
            ? "As requested, here is the link to confirm your email address and complete your sign-up."
            : "Thanks for signing up. Confirm your email address to complete the setup of your account."],
        [F("Email", e.Email)],
        [new("Confirm your email address", links.ConfirmSignUp(e.UserId, e.EventId))],
        Note: "If you did not sign up, ignore this email.");

    private static EmailContent FirstPublish(AppFirstPublished e, PortalLinks links)
    {
        var approval = e.Approval == PublishApproval.Admin ? "Your administrator approved the publish request, and" : "It was approved automatically, and";
        var funding = e.Funding == PublishFunding.FreeCredits
            ? "it runs on the free credits shared by all the virtual assistants of your workspace (no paid credits yet)."
            : "it runs on its paid credits.";
        EmailAction[] actions = e.Funding == PublishFunding.FreeCredits
            ? [new("Recharge now", links.RechargeNow(e.WorkspaceId, e.AppId)), new("Customer Control Panel", links.App(e.WorkspaceId, e.AppId))]
            : [new("Customer Control Panel", links.App(e.WorkspaceId, e.AppId))];
        return new(
            $"{e.AppName} is published",
            "Your virtual assistant is live",
            [$"{e.AppName} has been published for the first time. {approval} {funding}"],
            [F("Bot Name", e.AppName), F("Approval", e.Approval == PublishApproval.Admin ? "Admin approval" : "Auto approval"),
             F("Credits", e.Funding == PublishFunding.FreeCredits ? "Free credits" : "Paid credits"), F("Published On", Date(e.OccurredAt))],
            actions);
    }

    private static EmailContent Purchase(CreditsPurchased e, PortalLinks links)
    {
        List<EmailField> fields =
        [
            F("Bot Name", e.AppName), F("Previous Balance", Usd(e.PreviousBalanceUsd)), F("Order Amount", Usd(e.OrderAmountUsd)),
            F("Purchase Date", Date(e.OccurredAt)), F("Current Balance", Usd(e.CurrentBalanceUsd)),
            F("Auto-Recharge Status", e.AutoReload.Enabled ? "Activated" : "Not Activated"),
        ];
        // The seed: the reload amount and the minimum are shown only when auto-reload is enabled.
        if (e.AutoReload.Enabled)
        {
            fields.Add(F("Auto Recharge Amount", Usd(e.AutoReload.ReloadAmountUsd)));
            fields.Add(F("Minimum Credit to be Maintained", Usd(e.AutoReload.MinimumBalanceUsd)));
        }

        fields.Add(F("Payment Method", e.PaymentMethod.Display));
        return new(
            e.IsAutoReload ? $"Auto-reload of {Usd(e.OrderAmountUsd)} for {e.AppName}" : $"Your purchase of {Usd(e.OrderAmountUsd)} for {e.AppName}",
            e.IsAutoReload ? "Your credits were reloaded automatically" : "Thank you for your purchase",
            [e.IsAutoReload
                ? $"The balance of {e.AppName} reached its minimum, so credits were reloaded automatically."
                : $"Credits have been added to {e.AppName}."],
            fields,
            [new("Customer Control Panel", links.App(e.WorkspaceId, e.AppId))]);
    }

    private static EmailContent Invoice(EmailTemplate template, InvoiceIssued e, PortalLinks links)
    {
        var invoiceUrl = links.Invoice(e.WorkspaceId, e.InvoiceNumber);
        var panel = e.AppId is { Length: > 0 } appId ? links.App(e.WorkspaceId, appId) : links.ControlPanel(e.WorkspaceId);
        return new(
            template == EmailTemplate.SupportPlanInvoice ? $"Invoice {e.InvoiceNumber} for your support plan" : $"Order confirmation: invoice {e.InvoiceNumber}",
            template == EmailTemplate.SupportPlanInvoice ? "Your support plan invoice" : "Order confirmation",
            [e.AppName is { Length: > 0 } name ? $"Thank you for your order for {name}. Your invoice details are below." : "Thank you for your order. Your invoice details are below."],
            [F("Order Invoice", invoiceUrl), F("Invoice Number", e.InvoiceNumber), F("Date", Date(e.OccurredAt)), F("Plan", e.Plan),
             F("Plan Price", Usd(e.PlanPriceUsd)), F("Invoice Total", Usd(e.TotalUsd)), F("Customer Control Panel URL", panel)],
            [new("View invoice", invoiceUrl), new("Customer Control Panel", panel)]);
    }

    private static EmailContent InactiveApps(FreeCreditsExhausted e, string recipient, PortalLinks links)
    {
        var mine = e.Apps.Where(a => !a.Active && Recipients.User(a.OwnerUserId) == recipient).ToList();
        return new(
            mine.Count == 1 ? $"{mine[0].AppName} has stopped: free credits exhausted" : "Your virtual assistants have stopped: free credits exhausted",
            "Free credits exhausted",
            [$"The free credits of your workspace have {(e.Reason == FreeCreditsEndReason.Expired ? "expired" : "been used up")} and these virtual assistants have no paid credits left, so they are inactive. Recharge to bring them back."],
            [F("Inactive Bots", Names(mine.Select(a => a.AppName)))],
            [.. mine.Select(a => new EmailAction(mine.Count == 1 ? "Recharge now" : $"Recharge now: {a.AppName}", links.RechargeNow(e.WorkspaceId, a.AppId)))]);
    }

    private static EmailContent ImpactedApps(WorkspacePlanSwitched e, string recipient, PortalLinks links)
    {
        var mine = e.ImpactedApps.Where(a => Recipients.User(a.OwnerUserId) == recipient).Select(a => a.AppName).ToList();
        return new(
            $"Your virtual assistants move to the {e.ToType} plan",
            "Workspace plan switched",
            [$"The workspace {e.WorkspaceName} has switched to the {e.ToType} plan. Your virtual assistants below now use the {e.ToPlan} usage plan."],
            [F("Workspace", e.WorkspaceName), F("New Plan", e.ToType.ToString()), F("Usage Plan", e.ToPlan.ToString()), F("Your Bots", Names(mine))],
            [new("Explore benefits", links.ExploreBenefits(e.WorkspaceId))]);
    }

    private static EmailContent Subscription(EmailTemplate template, SubscriptionChanged e, PortalLinks links)
    {
        var s = e.Subscription;
        var price = $"{Usd(s.PriceUsd)} charged {(s.Period == BillingPeriod.Yearly ? "Annually" : "Monthly")}";
        var bot = F("Bot Name", e.AppName);
        var plan = F("Plan", s.Plan);
        var planPrice = F("Plan Price", price);
        var panel = new EmailAction("Customer Control Panel", links.App(e.WorkspaceId, e.AppId));
        var updatePayment = new EmailAction("Update payment method", links.UpdatePaymentMethod(e.WorkspaceId, e.AppId));
        return template switch
        {
            EmailTemplate.SupportPlanPurchase or EmailTemplate.UsagePlanPurchase => new(
                $"Your {s.Plan} plan for {e.AppName} is active",
                template == EmailTemplate.SupportPlanPurchase ? "Support plan purchase confirmed" : "Plan purchase confirmed",
                [$"Thank you for purchasing the {s.Plan} plan for {e.AppName}."],
                [bot, plan, planPrice, F("Plan Activated On", Date(e.ActivatedOn ?? e.OccurredAt)), F("Next Renewal On", Date(e.NextRenewalOn))],
                [panel]),
            EmailTemplate.PlanAutoRenewalNotice => new(
                $"Your {s.Plan} plan for {e.AppName} renews on {Date(e.NextRenewalOn ?? e.EffectiveAt)}",
                "Your plan renews automatically",
                [$"The {s.Plan} plan of {e.AppName} renews automatically on {Date(e.NextRenewalOn ?? e.EffectiveAt)}. Make sure your payment information is up to date."],
                [bot, plan, planPrice, F("Renewal Date", Date(e.NextRenewalOn ?? e.EffectiveAt)), F("Payment Method", Payment(e.PaymentMethod))],
                [updatePayment]),
            EmailTemplate.PlanRenewalPaymentFailed => new(
                $"Problem with processing the renewal payment for {e.AppName}",
                "We could not process your renewal payment",
                [$"The renewal payment of the {s.Plan} plan of {e.AppName} failed. Update your payment method to keep the plan."],
                [bot, plan, planPrice, F("Charge Attempted On", Date(e.EffectiveAt ?? e.OccurredAt)), F("Payment Method", Payment(e.PaymentMethod))],
                [updatePayment]),
            EmailTemplate.SubscriptionCancelled => new(
                $"Your {s.Plan} subscription has been canceled",
                "Subscription canceled",
                [$"The {s.Plan} subscription of {e.AppName} has been canceled. It stays active until the end of the paid period."],
                [bot, plan, F("Plan Price", price), F("Plan Cancellation Date", Date(e.OccurredAt)), F("Service Ends On", Date(e.EffectiveAt))],
                [panel]),
            EmailTemplate.SubscriptionModified => new(
                $"Your plan for {e.AppName} has changed",
                "Subscription changed",
                [$"{e.AppName} is now on the {s.Plan} plan."],
                [bot, plan, planPrice, F("Effective On", Date(e.EffectiveAt ?? e.OccurredAt)), F("Next Renewal On", Date(e.NextRenewalOn))],
                [panel]),
            EmailTemplate.SubscriptionRenewed => new(
                $"Your {s.Plan} plan for {e.AppName} has been renewed",
                "Subscription renewed",
                [$"The {s.Plan} plan of {e.AppName} has been renewed."],
                [bot, plan, planPrice, F("Renewed On", Date(e.OccurredAt)), F("Next Renewal On", Date(e.NextRenewalOn))],
                [panel]),
            EmailTemplate.SubscriptionLapsed => new(
                $"Your {s.Plan} plan for {e.AppName} has ended",
                "Subscription ended",
                [$"The renewal of the {s.Plan} plan of {e.AppName} could not be charged, so {e.AppName} is back on the free plan."],
                [bot, plan, planPrice, F("Ended On", Date(e.EffectiveAt ?? e.OccurredAt))],
                [updatePayment, panel]),
            _ => throw new InvalidOperationException($"Template {template} does not apply to a subscription change."),
        };
    }

    private static EmailField F(string label, string value) => new(label, value);

    private static IEnumerable<EmailField> OptionalBot(string? appName) => appName is { Length: > 0 } name ? [F("Bot Name", name)] : [];

    private static string Names(IEnumerable<string> names) => string.Join(", ", names);

    private static string Payment(PaymentMethodSummary? method) => method is null ? "Not set" : $"{Kind(method.Kind)} {method.Display}";

    private static string Kind(PaymentMethodKind kind) => kind switch
    {
        PaymentMethodKind.PayPal => "PayPal",
        PaymentMethodKind.Card => "Card",
        _ => "Wire transfer",
    };

    /// <summary>USD with two decimals and thousands separators, independent of the silo's culture.</summary>
    public static string Usd(decimal? amount) => amount is not { } a ? "Not set"
        : (a < 0 ? "-$" : "$") + Math.Abs(a).ToString("#,##0.00", Invariant);

    /// <summary>Dates are UTC calendar dates, independent of the silo's culture.</summary>
    public static string Date(DateTimeOffset? at) => at is { } t ? t.UtcDateTime.ToString("d MMM yyyy", Invariant) : "Not set";

    public static string Date(DateOnly date) => date.ToString("d MMM yyyy", Invariant);
}
