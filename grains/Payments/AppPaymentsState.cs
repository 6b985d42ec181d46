using Billing.Notifications;

namespace Billing.Payments;

/// <summary>
/// The purchases grain's state: what its next decision needs, and nothing that grows with history. Every payment is a
/// row of the <c>Payments</c> table (<see cref="PaymentHistory"/>); only the open ones (awaiting an OTP or being charged)
/// are here too.
/// </summary>
/// <remarks>
/// Before the vault and auto-reload had grains of their own, this one state held all three and every payment ever made.
/// A state of that shape still loads (same alias, same field ids): on activation its payments move to the table
/// (<see cref="OpenPayments"/> keeps the open ones), and the <c>Legacy*</c> fields wait until
/// <see cref="PaymentMethodsGrain"/> and <see cref="AutoReloadGrain"/> take them over on their first activation; then
/// they are cleared. A state written since never sets them.
/// </remarks>
[GenerateSerializer, Alias("billing.payments.app-payments.state")]
public sealed class AppPaymentsState
{
    /// <summary>Before the split: the stored methods. Taken over by the vault grain, then cleared.</summary>
    [Id(0)] public Dictionary<string, StoredPaymentMethod> LegacyMethods { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The payments still open: a card payment awaiting its OTP, or one being charged (at most one of each at a time,
    /// M1). Before the split this held every payment of the app; activation moves those to the table.
    /// </summary>
    [Id(1)] public Dictionary<string, PaymentRecord> OpenPayments { get; set; } = new(StringComparer.Ordinal);

    /// <summary>M1: the card/PayPal payment in progress (awaiting its OTP or being charged); another one is refused meanwhile.</summary>
    [Id(2)] public string? InProgressPaymentId { get; set; }

    /// <summary>A1: auto-reload may be switched on only after a completed purchase.</summary>
    [Id(3)] public int CompletedPurchases { get; set; }

    /// <summary>Before the split: the auto-reload settings (null in a state written since). Taken over by the auto-reload grain.</summary>
    [Id(4)] public AutoReloadSettings? LegacyAutoReload { get; set; }

    [Id(5)] public string? LegacyReloadInFlight { get; set; }

    [Id(6)] public int LegacyReloadSequence { get; set; }

    [Id(7)] public int LegacyReloadFailedAttempts { get; set; }

    [Id(8)] public DateTimeOffset? LegacyReloadNextRetryAt { get; set; }

    [Id(9)] public string? LegacyReloadLastFailure { get; set; }

    [Id(10)] public bool LegacyLowBalanceAlerted { get; set; }

    [Id(11)] public int LegacyLowBalanceCrossings { get; set; }

    [Id(12)] public int LegacyCompletedReloads { get; set; }

    [Id(13)] public int LegacyMethodSequence { get; set; }

    [Id(14)] public int LegacyAutoReloadVersion { get; set; }

    [Id(15)] public decimal? LegacyWatchedLimitUsd { get; set; }

    /// <summary>True while a part of the state from before the split still waits for its grain to take it over.</summary>
    public bool HoldsLegacyParts => LegacyMethods.Count > 0 || LegacyMethodSequence > 0 || LegacyAutoReload is not null;

    /// <summary>The vault's part of a state from before the split.</summary>
    public LegacyVault TakeVault() => new([.. LegacyMethods.Values], LegacyMethodSequence, LegacyAutoReload is { Enabled: true } reload ? reload.PaymentMethodId : null);

    /// <summary>Auto-reload's part of a state from before the split, or null when there is none.</summary>
    public LegacyAutoReload? TakeAutoReload() => LegacyAutoReload is { } settings
        ? new(settings, LegacyReloadInFlight, LegacyReloadSequence, LegacyReloadFailedAttempts, LegacyReloadNextRetryAt, LegacyReloadLastFailure,
            LegacyLowBalanceAlerted, LegacyLowBalanceCrossings, LegacyCompletedReloads, LegacyAutoReloadVersion, LegacyWatchedLimitUsd)
        : null;

    public void ForgetVault()
    {
        LegacyMethods.Clear();
        LegacyMethodSequence = 0;
    }

    public void ForgetAutoReload()
    {
        LegacyAutoReload = null;
        LegacyReloadInFlight = null;
        LegacyReloadSequence = LegacyReloadFailedAttempts = LegacyLowBalanceCrossings = LegacyCompletedReloads = LegacyAutoReloadVersion = 0;
        LegacyReloadNextRetryAt = null;
        LegacyReloadLastFailure = null;
        LegacyLowBalanceAlerted = false;
        LegacyWatchedLimitUsd = null;
    }
}

/// <summary>The vault's part of a state from before the split.</summary>
[GenerateSerializer, Alias("billing.payments.legacy-vault")]
public sealed record LegacyVault(
    [property: Id(0)] IReadOnlyList<StoredPaymentMethod> Methods,
    [property: Id(1)] int MethodSequence,
    [property: Id(2)] string? AutoReloadMethodId);

/// <summary>Auto-reload's part of a state from before the split.</summary>
[GenerateSerializer, Immutable, Alias("billing.payments.legacy-auto-reload")]
public sealed record LegacyAutoReload(
    [property: Id(0)] AutoReloadSettings Settings,
    [property: Id(1)] string? ReloadInFlight,
    [property: Id(2)] int ReloadSequence,
    [property: Id(3)] int FailedAttempts,
    [property: Id(4)] DateTimeOffset? NextRetryAt,
    [property: Id(5)] string? LastFailure,
    [property: Id(6)] bool LowBalanceAlerted,
    [property: Id(7)] int LowBalanceCrossings,
    [property: Id(8)] int CompletedReloads,
    [property: Id(9)] int Version,
    [property: Id(10)] decimal? WatchedLimitUsd);

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

    /// <summary>Nothing more will happen to it: it lives in the table only.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsSettled => Status is PaymentStatus.Succeeded or PaymentStatus.Failed or PaymentStatus.Abandoned;

    public PaymentView View(string appId) =>
        new(Id, appId, Purpose, Method, MethodId, MethodDisplay, AmountUsd, Status, FailureReason, InvoiceNumber, WireReference, CreatedAt, CompletedAt);
}
