using Billing.Notifications;

namespace Billing.Payments;

/// <summary>Where a payment stands (M1, M2).</summary>
public enum PaymentStatus
{
    /// <summary>A card payment waits for the one-time password the cardholder received (M1). It blocks other card/PayPal payments.</summary>
    RequiresOtp = 0,

    /// <summary>The gateway was asked to charge; the outcome is being recorded. It blocks other card/PayPal payments.</summary>
    Charging = 1,

    /// <summary>A wire transfer was ordered and waits until it clears (M2). It blocks nothing.</summary>
    AwaitingTransfer = 2,

    Succeeded = 3,
    Failed = 4,

    /// <summary>The OTP never came within the time allowed.</summary>
    Abandoned = 5,
}

public enum PaymentPurpose
{
    /// <summary>An owner added funds (M1).</summary>
    Purchase = 0,

    /// <summary>Auto-reload charged the stored method (A2).</summary>
    AutoReload = 1,
}

/// <summary>
/// A card as the owner typed it. It crosses the wire once, from the API to the gateway's tokenization, and is never
/// stored or logged: <see cref="ToString"/> masks it, so an exception or a log that prints the argument shows no number.
/// </summary>
[GenerateSerializer, Immutable, Alias("billing.payments.new-card")]
public sealed record NewCard(
    [property: Id(0)] string Number,
    [property: Id(1)] string Holder,
    [property: Id(2)] int ExpiryMonth,
    [property: Id(3)] int ExpiryYear,
    [property: Id(4)] string Cvv)
{
    public override string ToString() => "NewCard { Number = ****, Cvv = *** }";
}

/// <summary>Registers a payment method of an app: a card (tokenized by the gateway) or a PayPal account.</summary>
[GenerateSerializer, Immutable, Alias("billing.payments.add-method")]
public sealed record AddPaymentMethod(
    [property: Id(0)] PaymentMethodKind Kind,
    [property: Id(1)] NewCard? Card,
    [property: Id(2)] string? PayPalEmail,
    [property: Id(3)] string UserId);

/// <summary>A stored payment method as anyone may see it: never more of a card than brand, last 4 and expiry.</summary>
[GenerateSerializer, Immutable, Alias("billing.payments.method")]
public sealed record PaymentMethodView(
    [property: Id(0)] string Id,
    [property: Id(1)] PaymentMethodKind Kind,
    [property: Id(2)] string Display,
    [property: Id(3)] string? Brand,
    [property: Id(4)] string? Last4,
    [property: Id(5)] int? ExpiryMonth,
    [property: Id(6)] int? ExpiryYear,
    [property: Id(7)] string? PayPalEmail,
    [property: Id(8)] DateTimeOffset AddedAt);

/// <summary>
/// M1, M2: adds funds to an app's paid wallet. <see cref="PaymentId"/> is derived by the caller from its idempotency
/// key, so a retried request finds the first payment. A wire transfer has no <see cref="PaymentMethodId"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("billing.payments.add-funds")]
public sealed record AddFunds(
    [property: Id(0)] string PaymentId,
    [property: Id(1)] decimal AmountUsd,
    [property: Id(2)] PaymentMethodKind? Method,
    [property: Id(3)] string? PaymentMethodId,
    [property: Id(4)] string UserId);

[GenerateSerializer, Immutable, Alias("billing.payments.payment")]
public sealed record PaymentView(
    [property: Id(0)] string Id,
    [property: Id(1)] string AppId,
    [property: Id(2)] PaymentPurpose Purpose,
    [property: Id(3)] PaymentMethodKind Method,
    [property: Id(4)] string? PaymentMethodId,
    [property: Id(5)] string MethodDisplay,
    [property: Id(6)] decimal AmountUsd,
    [property: Id(7)] PaymentStatus Status,
    [property: Id(8)] string? FailureReason,
    [property: Id(9)] string? InvoiceNumber,
    [property: Id(10)] string? WireReference,
    [property: Id(11)] DateTimeOffset CreatedAt,
    [property: Id(12)] DateTimeOffset? CompletedAt);

/// <summary>A1: auto-reload settings. Amount at least the configured minimum ($100); the method is a card or PayPal, never wire.</summary>
[GenerateSerializer, Immutable, Alias("billing.payments.auto-reload-settings")]
public sealed record AutoReloadSettings(
    [property: Id(0)] bool Enabled,
    [property: Id(1)] decimal? AmountUsd,
    [property: Id(2)] decimal? MinimumBalanceUsd,
    [property: Id(3)] string? PaymentMethodId);

[GenerateSerializer, Immutable, Alias("billing.payments.auto-reload")]
public sealed record AutoReloadView(
    [property: Id(0)] AutoReloadSettings Settings,
    [property: Id(1)] string? ReloadInFlight,
    [property: Id(2)] int FailedAttempts,
    [property: Id(3)] DateTimeOffset? NextRetryAt,
    [property: Id(4)] string? LastFailure,
    [property: Id(5)] int CompletedReloads);

/// <summary>What a subscription needs to charge a stored method: its gateway token and how to show it. Never a card number.</summary>
[GenerateSerializer, Immutable, Alias("billing.payments.chargeable-method")]
public sealed record ChargeableMethod(
    [property: Id(0)] string PaymentMethodId,
    [property: Id(1)] string Token,
    [property: Id(2)] PaymentMethodSummary Summary);

/// <summary>One page of an app's payments, newest first; <see cref="Continuation"/> asks for the next page (null: this is the last).</summary>
[GenerateSerializer, Immutable, Alias("billing.payments.payment-page")]
public sealed record PaymentPage(
    [property: Id(0)] IReadOnlyList<PaymentView> Payments,
    [property: Id(1)] string? Continuation);
