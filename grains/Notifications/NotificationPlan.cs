namespace Billing.Notifications;

/// <summary>One email an event becomes: a template and its recipient key (see <see cref="Recipients"/>).</summary>
public sealed record PlannedEmail(EmailTemplate Template, string Recipient);

/// <summary>Recipient keys stored in the outbox; the address of a user is read from its profile when the email is sent.</summary>
public static class Recipients
{
    public const string UserPrefix = "user:";
    public const string EmailPrefix = "email:";
    public const string UnresolvedPrefix = "unresolved:";

    public static string User(string userId) => UserPrefix + userId;

    public static string Email(string address) => EmailPrefix + address.Trim();

    /// <summary>A recipient that could not be found (an app or workspace that does not exist): dead-lettered with that reason.</summary>
    public static string Unresolved(string what) => UnresolvedPrefix + what;

    public static string? UserId(string recipient) =>
        recipient.StartsWith(UserPrefix, StringComparison.Ordinal) ? recipient[UserPrefix.Length..] : null;
}

/// <summary>
/// E1: which templates an event becomes and to whom (the seed's table). Pure: the owners an event does not carry
/// are looked up by the outbox first (<see cref="AppOwnerNeeded"/>, <see cref="WorkspaceOwnerNeeded"/>) and passed in.
/// </summary>
public static class NotificationPlan
{
    /// <summary>The app whose owner receives the event's email, when the event does not name its recipient itself.</summary>
    public static string? AppOwnerNeeded(BillingEvent billingEvent) => billingEvent switch
    {
        CreditsPurchased { IsAutoReload: false, PurchasedByUserId: { Length: > 0 } } => null,
        AppBillingEvent app => app.AppId,
        InvoiceIssued { AppId: { Length: > 0 } appId } => appId,
        _ => null,
    };

    public static bool WorkspaceOwnerNeeded(BillingEvent billingEvent) =>
        billingEvent is WorkspacePlanSwitched or FreeCreditsExhausted or InvoiceIssued { AppId: null or "" };

    /// <param name="appOwnerUserId">The owner of <see cref="AppOwnerNeeded"/>'s app, or null when it was not found.</param>
    /// <param name="workspaceOwnerUserId">The workspace's owner, or null when it was not found.</param>
    public static IReadOnlyList<PlannedEmail> Plan(BillingEvent billingEvent, string? appOwnerUserId, string? workspaceOwnerUserId)
    {
        var appOwner = appOwnerUserId is { Length: > 0 } a ? Recipients.User(a)
            : Recipients.Unresolved($"owner of app '{AppOwnerNeeded(billingEvent)}' (app not found)");
        var workspaceOwner = workspaceOwnerUserId is { Length: > 0 } w ? Recipients.User(w)
            : Recipients.Unresolved($"owner of workspace '{billingEvent.WorkspaceId}' (workspace not found)");

        return billingEvent switch
        {
            SignUpConfirmationRequested e => [new(e.IsResend ? EmailTemplate.SignUpConfirmationResend : EmailTemplate.SignUpConfirmation, Recipients.Email(e.Email))],
            WorkspaceCreated e => [new(EmailTemplate.WorkspaceCreated, Recipients.User(e.OwnerUserId))],
            MemberInvited e => [new(EmailTemplate.MemberInvited, Recipients.Email(e.Email))],
            // W5: each impacted app's owner once, however many of the apps they own.
            WorkspacePlanSwitched e => [
                new(EmailTemplate.WorkspacePlanSwitch, workspaceOwner),
                .. e.ImpactedApps.Select(app => app.OwnerUserId).Distinct(StringComparer.Ordinal)
                    .Select(owner => new PlannedEmail(EmailTemplate.WorkspacePlanSwitchImpactedApps, Recipients.User(owner))),
            ],
            AppFirstPublished e => [new(FirstPublishTemplate(e.Approval, e.Funding), appOwner)],
            PaidWalletExhausted e => [new(e.FreeCreditsAvailable ? EmailTemplate.PaidWalletZeroFreeCreditsAvailable : EmailTemplate.PaidWalletZeroNoFreeCredits, appOwner)],
            // The inactive-bots email goes to each owner of an app left without credits, once per owner like W5.
            FreeCreditsExhausted e => [
                .. e.Apps.Where(app => !app.Active).Select(app => app.OwnerUserId).Distinct(StringComparer.Ordinal)
                    .Select(owner => new PlannedEmail(EmailTemplate.FreeCreditsExhaustedInactiveApps, Recipients.User(owner))),
                new(EmailTemplate.FreeCreditsExhaustedWorkspaceSummary, workspaceOwner),
            ],
            LowBalanceReached => [new(EmailTemplate.LowBalanceAlert, appOwner)],
            CreditsPurchased { IsAutoReload: true } => [new(EmailTemplate.StandardPlanAutoReload, appOwner)],
            CreditsPurchased e => [new(EmailTemplate.StandardPlanPurchase, e.PurchasedByUserId is { Length: > 0 } buyer ? Recipients.User(buyer) : appOwner)],
            InvoiceIssued e => [new(e.Subject == InvoiceSubject.SupportPlan ? EmailTemplate.SupportPlanInvoice : EmailTemplate.OrderInvoice, e.AppId is { Length: > 0 } ? appOwner : workspaceOwner)],
            AutoReloadChanged e => [new(e.AutoReload.Enabled ? EmailTemplate.AutoRechargeEnabled : EmailTemplate.AutoRechargeDisabled, appOwner)],
            AutoReloadFailed e => [new(e.PaymentMethod.Kind == PaymentMethodKind.PayPal ? EmailTemplate.AutoRechargeFailurePayPal : EmailTemplate.AutoRechargeFailureCard, appOwner)],
            PaymentMethodExpiry e => [new(e.HasExpired ? EmailTemplate.PaymentMethodExpired : EmailTemplate.PaymentMethodNearingExpiry, Recipients.User(e.OwnerUserId))],
            SubscriptionChanged e => [new(SubscriptionTemplate(e), appOwner)],
            _ => [],
        };
    }

    private static EmailTemplate FirstPublishTemplate(PublishApproval approval, PublishFunding funding) => (approval, funding) switch
    {
        (PublishApproval.Auto, PublishFunding.FreeCredits) => EmailTemplate.FirstPublishAutoApprovalFreeCredits,
        (PublishApproval.Admin, PublishFunding.FreeCredits) => EmailTemplate.FirstPublishAdminApprovalFreeCredits,
        (PublishApproval.Auto, _) => EmailTemplate.FirstPublishAutoApprovalPaidCredits,
        _ => EmailTemplate.FirstPublishAdminApprovalPaidCredits,
    };

    private static EmailTemplate SubscriptionTemplate(SubscriptionChanged e) => e.Change switch
    {
        SubscriptionChange.Purchased => e.Subscription.Kind == PlanKind.Support ? EmailTemplate.SupportPlanPurchase : EmailTemplate.UsagePlanPurchase,
        SubscriptionChange.Modified => EmailTemplate.SubscriptionModified,
        SubscriptionChange.RenewalNotice => EmailTemplate.PlanAutoRenewalNotice,
        SubscriptionChange.Renewed => EmailTemplate.SubscriptionRenewed,
        SubscriptionChange.RenewalFailed => EmailTemplate.PlanRenewalPaymentFailed,
        SubscriptionChange.Lapsed => EmailTemplate.SubscriptionLapsed,
        _ => EmailTemplate.SubscriptionCancelled,
    };
}
