using Billing.Notifications;

namespace Billing.Payments;

[GenerateSerializer, Alias("billing.payments.app-payments.state")]
public sealed class AppPaymentsState
{
    /// <summary>Stored methods by id: tokens and what may be shown, never a card number or CVV.</summary>
    [Id(0)] public Dictionary<string, StoredPaymentMethod> Methods { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Every payment of the app by id. Grows with purchases (a few a month), not with traffic.</summary>
    [Id(1)] public Dictionary<string, PaymentRecord> Payments { get; set; } = new(StringComparer.Ordinal);

    /// <summary>M1: the card/PayPal payment in progress (awaiting its OTP or being charged); another one is refused meanwhile.</summary>
    [Id(2)] public string? InProgressPaymentId { get; set; }

    /// <summary>A1: auto-reload may be switched on only after a completed purchase.</summary>
    [Id(3)] public int CompletedPurchases { get; set; }

    [Id(4)] public AutoReloadSettings AutoReload { get; set; } = new(false, null, null, null);

    /// <summary>A2: the one reload in flight; persisted before the gateway is called, so a crash resumes it instead of starting another.</summary>
    [Id(5)] public string? ReloadInFlight { get; set; }

    [Id(6)] public int ReloadSequence { get; set; }

    /// <summary>A3: failed reloads in a row, and when the next try is due (null: none scheduled).</summary>
    [Id(7)] public int ReloadFailedAttempts { get; set; }

    [Id(8)] public DateTimeOffset? ReloadNextRetryAt { get; set; }

    [Id(9)] public string? ReloadLastFailure { get; set; }

    /// <summary>A5: the alert of this crossing went out; cleared when the balance climbs above the limit again.</summary>
    [Id(10)] public bool LowBalanceAlerted { get; set; }

    [Id(11)] public int LowBalanceCrossings { get; set; }

    [Id(12)] public int CompletedReloads { get; set; }

    [Id(13)] public int MethodSequence { get; set; }

    /// <summary>A4: numbers the auto-reload changes, so that each one's event has its own id.</summary>
    [Id(14)] public int AutoReloadVersion { get; set; }

    /// <summary>The limit the wallet was last told to watch, so it is told again only when it changes.</summary>
    [Id(15)] public decimal? WatchedLimitUsd { get; set; }
}

[GenerateSerializer, Alias("billing.payments.stored-method")]
public sealed class StoredPaymentMethod
{
    [Id(0)] public string Id { get; set; } = "";
    [Id(1)] public PaymentMethodKind Kind { get; set; }
    [Id(2)] public string Token { get; set; } = "";
    [Id(3)] public string? Brand { get; set; }
    [Id(4)] public string? Last4 { get; set; }
    [Id(5)] public int? ExpiryMonth { get; set; }
    [Id(6)] public int? ExpiryYear { get; set; }
    [Id(7)] public string? PayPalEmail { get; set; }
    [Id(8)] public DateTimeOffset AddedAt { get; set; }

    /// <summary>M3: the "nearing expiry" and "expired" notices went out.</summary>
    [Id(9)] public bool ExpiringNoticeSent { get; set; }

    [Id(10)] public bool ExpiredNoticeSent { get; set; }

    public string Display => Kind == PaymentMethodKind.Card
        ? $"{Brand} ending {Last4} (expires {ExpiryMonth:00}/{ExpiryYear})"
        : $"PayPal {PayPalEmail}";

    public PaymentMethodSummary Summary => new(Kind, Display);

    public PaymentMethodView View() => new(Id, Kind, Display, Brand, Last4, ExpiryMonth, ExpiryYear, PayPalEmail, AddedAt);
}

[GenerateSerializer, Alias("billing.payments.payment-record")]
public sealed class PaymentRecord
{
    [Id(0)] public string Id { get; set; } = "";
    [Id(1)] public PaymentPurpose Purpose { get; set; }
    [Id(2)] public PaymentMethodKind Method { get; set; }
    [Id(3)] public string? MethodId { get; set; }
    [Id(4)] public string MethodDisplay { get; set; } = "";
    [Id(5)] public decimal AmountUsd { get; set; }
    [Id(6)] public PaymentStatus Status { get; set; }
    [Id(7)] public string? FailureReason { get; set; }
    [Id(8)] public string? InvoiceNumber { get; set; }
    [Id(9)] public string? WireReference { get; set; }
    [Id(10)] public DateTimeOffset CreatedAt { get; set; }
    [Id(11)] public DateTimeOffset? CompletedAt { get; set; }
    [Id(12)] public string? ChargeId { get; set; }
    [Id(13)] public string? UserId { get; set; }
    [Id(14)] public DateTimeOffset? OtpDeadline { get; set; }

    public PaymentView View(string appId) =>
        new(Id, appId, Purpose, Method, MethodId, MethodDisplay, AmountUsd, Status, FailureReason, InvoiceNumber, WireReference, CreatedAt, CompletedAt);
}
