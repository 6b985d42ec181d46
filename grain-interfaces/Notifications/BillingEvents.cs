using Billing.Apps;
using Billing.Workspaces;

namespace Billing.Notifications;

/// <summary>
/// A billing event that the owners learn about by email (SPEC section 10, the seed's "System-Triggered Email
/// Templates"). The producer raises it after its own state change is durable; the notifications module turns it
/// into the emails of its template(s) and resolves the recipients (app owner, workspace owner, each impacted app
/// owner once) when it sends.
/// </summary>
/// <remarks>
/// <see cref="EventId"/> is derived by the producer from what happened (for example <c>purchase:{paymentId}</c>), never
/// random: raising the same event again after a retry or a crash carries the same id, and E2 turns one id into at most
/// one email per recipient. Amounts are USD.
/// </remarks>
[GenerateSerializer, Immutable]
public abstract record BillingEvent
{
    [Id(0)] public required string EventId { get; init; }
    [Id(1)] public required string WorkspaceId { get; init; }
    [Id(2)] public required DateTimeOffset OccurredAt { get; init; }
}

/// <summary>A billing event about one app: its recipients are the app's owner unless the template says otherwise.</summary>
[GenerateSerializer, Immutable]
public abstract record AppBillingEvent : BillingEvent
{
    [Id(0)] public required string AppId { get; init; }
    [Id(1)] public required string AppName { get; init; }
}

// ---- Sign-up and workspace -------------------------------------------------------------------------------------

/// <summary>Sign-up email confirmation, and its resend on the user's request.</summary>
[GenerateSerializer, Immutable, Alias("billing.events.sign-up-confirmation")]
public sealed record SignUpConfirmationRequested : BillingEvent
{
    [Id(0)] public required string UserId { get; init; }
    [Id(1)] public required string Email { get; init; }
    [Id(2)] public required bool IsResend { get; init; }
}

/// <summary>W1/C1: a workspace was created with its free credits. To the workspace owner.</summary>
[GenerateSerializer, Immutable, Alias("billing.events.workspace-created")]
public sealed record WorkspaceCreated : BillingEvent
{
    [Id(0)] public required string WorkspaceName { get; init; }
    [Id(1)] public required string OwnerUserId { get; init; }
    [Id(2)] public required decimal FreeCreditsUsd { get; init; }
    [Id(3)] public required DateTimeOffset FreeCreditsExpireAt { get; init; }
}

/// <summary>W2: a user was invited into a workspace by email. To the invited address.</summary>
[GenerateSerializer, Immutable, Alias("billing.events.member-invited")]
public sealed record MemberInvited : BillingEvent
{
    [Id(0)] public required string WorkspaceName { get; init; }
    [Id(1)] public required string InvitationId { get; init; }
    [Id(2)] public required string Email { get; init; }
    [Id(3)] public required WorkspaceRole Role { get; init; }
    [Id(4)] public required string InvitedByUserId { get; init; }
}

/// <summary>W4/W5: the workspace's plan was switched. To the workspace owner, and to each distinct owner of <see cref="ImpactedApps"/> once.</summary>
[GenerateSerializer, Immutable, Alias("billing.events.workspace-plan-switched")]
public sealed record WorkspacePlanSwitched : BillingEvent
{
    [Id(0)] public required string WorkspaceName { get; init; }
    [Id(1)] public required WorkspaceType FromType { get; init; }
    [Id(2)] public required WorkspaceType ToType { get; init; }
    [Id(3)] public required UsagePlan ToPlan { get; init; }
    [Id(4)] public required IReadOnlyList<ImpactedApp> ImpactedApps { get; init; }
}

[GenerateSerializer, Immutable, Alias("billing.events.impacted-app")]
public sealed record ImpactedApp(
    [property: Id(0)] string AppId,
    [property: Id(1)] string AppName,
    [property: Id(2)] string OwnerUserId);

// ---- Publishing (D2) -------------------------------------------------------------------------------------------

public enum PublishApproval
{
    Auto = 0,
    Admin = 1,
}

public enum PublishFunding
{
    FreeCredits = 0,
    PaidCredits = 1,
}

/// <summary>D2: the first publish of an app; one of the four first-publish templates by approval and funding. To the app owner.</summary>
[GenerateSerializer, Immutable, Alias("billing.events.app-first-published")]
public sealed record AppFirstPublished : AppBillingEvent
{
    [Id(0)] public required PublishApproval Approval { get; init; }
    [Id(1)] public required PublishFunding Funding { get; init; }
}

// ---- Wallet balance and credits (metering) ---------------------------------------------------------------------

/// <summary>
/// The app's paid wallet reached 0. With <see cref="FreeCreditsAvailable"/> the "paid wallet below 0, free credits
/// available" template, otherwise "paid wallet 0 and no free credits to back up". To the app owner.
/// </summary>
[GenerateSerializer, Immutable, Alias("billing.events.paid-wallet-exhausted")]
public sealed record PaidWalletExhausted : AppBillingEvent
{
    [Id(0)] public required bool FreeCreditsAvailable { get; init; }
    [Id(1)] public required decimal FreeCreditsRemainingUsd { get; init; }
}

public enum FreeCreditsEndReason
{
    UsedUp = 0,
    Expired = 1,
}

/// <summary>
/// C2: the workspace's free credits are gone (used up or expired). "Free credits exhausted - inactive bots" to the owner
/// of each app in <see cref="Apps"/> left without paid credits (<see cref="AppFreeCreditUse.Active"/> false), and the
/// "workspace summary" to the workspace owner.
/// </summary>
[GenerateSerializer, Immutable, Alias("billing.events.free-credits-exhausted")]
public sealed record FreeCreditsExhausted : BillingEvent
{
    [Id(0)] public required FreeCreditsEndReason Reason { get; init; }
    [Id(1)] public required decimal GrantedUsd { get; init; }
    [Id(2)] public required decimal UsedUsd { get; init; }
    [Id(3)] public required decimal ForfeitedUsd { get; init; }
    [Id(4)] public required IReadOnlyList<AppFreeCreditUse> Apps { get; init; }
}

[GenerateSerializer, Immutable, Alias("billing.events.app-free-credit-use")]
public sealed record AppFreeCreditUse(
    [property: Id(0)] string AppId,
    [property: Id(1)] string AppName,
    [property: Id(2)] string OwnerUserId,
    [property: Id(3)] decimal FreeCreditsUsedUsd,
    [property: Id(4)] decimal PaidBalanceUsd,
    [property: Id(5)] bool Active);

/// <summary>A5: the paid balance reached the low-balance limit while auto-reload is off or failing; once per crossing. To the app owner.</summary>
[GenerateSerializer, Immutable, Alias("billing.events.low-balance")]
public sealed record LowBalanceReached : AppBillingEvent
{
    [Id(0)] public required decimal BalanceUsd { get; init; }
    [Id(1)] public required decimal LimitUsd { get; init; }
}

// ---- Payments and auto-reload (M1-M3, A1-A5) -------------------------------------------------------------------

public enum PaymentMethodKind
{
    PayPal = 0,
    Card = 1,
    WireTransfer = 2,
}

/// <summary>How a payment method is shown in an email: never a full card number.</summary>
[GenerateSerializer, Immutable, Alias("billing.events.payment-method-summary")]
public sealed record PaymentMethodSummary(
    [property: Id(0)] PaymentMethodKind Kind,
    [property: Id(1)] string Display);

/// <summary>The auto-reload settings an email shows (A1).</summary>
[GenerateSerializer, Immutable, Alias("billing.events.auto-reload-summary")]
public sealed record AutoReloadSummary(
    [property: Id(0)] bool Enabled,
    [property: Id(1)] decimal? ReloadAmountUsd,
    [property: Id(2)] decimal? MinimumBalanceUsd);

/// <summary>
/// M1: credits were loaded into an app's paid wallet by a purchase ("Standard plan - purchases", to the user who bought:
/// <see cref="PurchasedByUserId"/>) or by auto-reload (<see cref="IsAutoReload"/>: "Standard plan - auto reloads", to the app owner).
/// </summary>
[GenerateSerializer, Immutable, Alias("billing.events.credits-purchased")]
public sealed record CreditsPurchased : AppBillingEvent
{
    [Id(0)] public required bool IsAutoReload { get; init; }
    [Id(1)] public required string? PurchasedByUserId { get; init; }
    [Id(2)] public required decimal PreviousBalanceUsd { get; init; }
    [Id(3)] public required decimal OrderAmountUsd { get; init; }
    [Id(4)] public required decimal CurrentBalanceUsd { get; init; }
    [Id(5)] public required AutoReloadSummary AutoReload { get; init; }
    [Id(6)] public required PaymentMethodSummary PaymentMethod { get; init; }
}

public enum InvoiceSubject
{
    CreditPurchase = 0,
    AutoReload = 1,
    UsagePlan = 2,
    SupportPlan = 3,
}

/// <summary>
/// U4: an invoice was issued. "Order invoice" for credits and usage plans, the support-plan "Invoice" for support plans.
/// To the app owner (or the workspace owner when <see cref="AppId"/> is null).
/// </summary>
[GenerateSerializer, Immutable, Alias("billing.events.invoice-issued")]
public sealed record InvoiceIssued : BillingEvent
{
    [Id(0)] public required string? AppId { get; init; }
    [Id(1)] public required string? AppName { get; init; }
    [Id(2)] public required string InvoiceNumber { get; init; }
    [Id(3)] public required InvoiceSubject Subject { get; init; }
    [Id(4)] public required string Plan { get; init; }
    [Id(5)] public required decimal PlanPriceUsd { get; init; }
    [Id(6)] public required decimal TotalUsd { get; init; }
}

/// <summary>A4: auto-reload was switched on (with its settings) or off. To the app owner.</summary>
[GenerateSerializer, Immutable, Alias("billing.events.auto-reload-changed")]
public sealed record AutoReloadChanged : AppBillingEvent
{
    [Id(0)] public required AutoReloadSummary AutoReload { get; init; }
    [Id(1)] public required PaymentMethodSummary? PaymentMethod { get; init; }
}

/// <summary>A3: an auto-reload charge failed; the card or the PayPal template by <see cref="PaymentMethod"/>. To the app owner.</summary>
[GenerateSerializer, Immutable, Alias("billing.events.auto-reload-failed")]
public sealed record AutoReloadFailed : AppBillingEvent
{
    [Id(0)] public required PaymentMethodSummary PaymentMethod { get; init; }
    [Id(1)] public required decimal AmountUsd { get; init; }
    [Id(2)] public required DateTimeOffset AttemptedAt { get; init; }
    [Id(3)] public required string Plan { get; init; }
    [Id(4)] public required string FailureReason { get; init; }
}

/// <summary>M3: a stored card expires within 30 days, or has expired. To the owner of the app (or workspace) that stores it.</summary>
[GenerateSerializer, Immutable, Alias("billing.events.payment-method-expiry")]
public sealed record PaymentMethodExpiry : BillingEvent
{
    [Id(0)] public required string? AppId { get; init; }
    [Id(1)] public required string? AppName { get; init; }
    [Id(2)] public required string OwnerUserId { get; init; }
    [Id(3)] public required PaymentMethodSummary PaymentMethod { get; init; }
    [Id(4)] public required DateOnly ExpiresOn { get; init; }
    [Id(5)] public required bool HasExpired { get; init; }
}

// ---- Subscriptions (P1-P5) -------------------------------------------------------------------------------------

public enum PlanKind
{
    Usage = 0,
    Support = 1,
}

public enum BillingPeriod
{
    Monthly = 0,
    Yearly = 1,
}

/// <summary>The plan an email names: "Enhanced Support, $x charged Monthly".</summary>
[GenerateSerializer, Immutable, Alias("billing.events.subscription-summary")]
public sealed record SubscriptionSummary(
    [property: Id(0)] string SubscriptionId,
    [property: Id(1)] PlanKind Kind,
    [property: Id(2)] string Plan,
    [property: Id(3)] decimal PriceUsd,
    [property: Id(4)] BillingPeriod Period);

public enum SubscriptionChange
{
    /// <summary>P3: a new subscription was bought ("Support plans - purchase", the order confirmation).</summary>
    Purchased = 0,

    /// <summary>P3: a subscription was modified (up- or downgrade).</summary>
    Modified = 1,

    /// <summary>P4: five days before renewal ("Support plan auto-renewal").</summary>
    RenewalNotice = 2,

    /// <summary>P4: a renewal charge succeeded.</summary>
    Renewed = 3,

    /// <summary>P4: a renewal charge failed ("problem with processing the renewal payment").</summary>
    RenewalFailed = 4,

    /// <summary>P4: dunning exhausted; the app fell back to the free plan.</summary>
    Lapsed = 5,

    /// <summary>P5: cancelled; it ends at the end of the paid period ("Subscription has been canceled").</summary>
    Cancelled = 6,
}

/// <summary>One step in the life of an app's usage or support subscription. To the app owner.</summary>
[GenerateSerializer, Immutable, Alias("billing.events.subscription-changed")]
public sealed record SubscriptionChanged : AppBillingEvent
{
    [Id(0)] public required SubscriptionChange Change { get; init; }
    [Id(1)] public required SubscriptionSummary Subscription { get; init; }
    [Id(2)] public required DateTimeOffset? ActivatedOn { get; init; }
    [Id(3)] public required DateTimeOffset? NextRenewalOn { get; init; }

    /// <summary>The renewal charge's attempt time (<see cref="SubscriptionChange.RenewalFailed"/>) or the end of service (<see cref="SubscriptionChange.Cancelled"/>, <see cref="SubscriptionChange.Lapsed"/>).</summary>
    [Id(4)] public required DateTimeOffset? EffectiveAt { get; init; }
    [Id(5)] public required PaymentMethodSummary? PaymentMethod { get; init; }
}
