using Billing.Ledgers;
using Billing.Metering;

namespace Billing.Wallets;

/// <summary>The two balances an app's charges are paid from (C3, C4).</summary>
public static class WalletAccounts
{
    /// <summary>The app's paid wallet: purchases, reloads, operator grants and adjustments.</summary>
    public const string Paid = "paid";

    /// <summary>The workspace's free credits this app has drawn from the workspace pool and not yet spent.</summary>
    public const string Free = "free";
}

/// <summary>Both balances of an app wallet. <see cref="FreeExpiresAt"/> is when the drawn free credits are forfeited (C2).</summary>
[GenerateSerializer, Immutable, Alias("billing.wallets.balance")]
public sealed record WalletBalance(
    [property: Id(0)] string AppId,
    [property: Id(1)] decimal PaidUsd,
    [property: Id(2)] decimal FreeDrawnUsd,
    [property: Id(3)] DateTimeOffset? FreeExpiresAt,
    [property: Id(4)] string Currency = "USD");

/// <summary>How one billing session was paid (C4): split between the paid wallet and free credits, or refused (C5).</summary>
[GenerateSerializer, Immutable, Alias("billing.wallets.session-charge")]
public sealed record SessionCharge(
    [property: Id(0)] bool Covered,
    [property: Id(1)] decimal ChargedUsd,
    [property: Id(2)] decimal PaidUsd,
    [property: Id(3)] decimal FreeUsd);

public static class AdjustmentLimits
{
    public const int MaxReasonLength = 500;
}

/// <summary>An operator's grant or adjustment of an app's paid wallet (C7): the reason is mandatory and kept in the ledger.</summary>
[GenerateSerializer, Immutable, Alias("billing.wallets.adjustment")]
public sealed record WalletAdjustment(
    [property: Id(0)] LedgerEntryKind Kind,
    [property: Id(1)] decimal AmountUsd,
    [property: Id(2)] string Reason,
    [property: Id(3)] string OperatorId,
    [property: Id(4)] string IdempotencyKey);

/// <summary>
/// The wallet of one app (keyed by the app id): its paid balance and the free credits it has drawn from its
/// workspace's pool, each with an append-only ledger, in one ledger book so that a split charge is atomic.
/// Reentrant: concurrent charges are group-committed, and debits are checked against what is available
/// including debits not yet written, so no balance ever goes below zero (C6).
/// </summary>
public interface IAppWalletGrain : IGrainWithStringKey
{
    /// <summary>
    /// Charges one billing session that opened at <paramref name="openedAt"/> on a channel of <paramref name="channelClass"/>,
    /// at the rate card's price (B2, B7), in the workspace's consumption order (C4). Idempotent on
    /// <paramref name="billingSessionId"/>: a retry answers the first charge.
    /// </summary>
    Task<SessionCharge> ChargeSession(string billingSessionId, ChannelClass channelClass, DateTimeOffset openedAt);

    /// <summary>Gives back the charge of <paramref name="billingSessionId"/> (a session refused after it was charged, B8). Idempotent.</summary>
    Task RefundSession(string billingSessionId, string reason);

    Task<WalletBalance> GetBalance();

    /// <summary>Entries of <paramref name="account"/> (<see cref="WalletAccounts"/>) after <paramref name="afterSeq"/>, oldest first.</summary>
    Task<LedgerPage> GetLedger(string account, long afterSeq, int limit);

    /// <summary>An operator's grant (positive) or adjustment (either sign) of the paid wallet, idempotent on its key.</summary>
    Task<LedgerEntry> Adjust(WalletAdjustment adjustment);

    /// <summary>
    /// The app changed (its plan, P1): sessions charged from then on use <paramref name="app"/>'s rates. Passed in
    /// rather than read back, because the app grain calls this from inside its own turn.
    /// </summary>
    Task AppChanged(Billing.Apps.AppView app);

    /// <summary>C2: forfeits the drawn free credits that expired at <paramref name="expiresAt"/> and answers the amount; called by the workspace pool's expiry. Idempotent.</summary>
    Task<decimal> ForfeitFreeCredits(DateTimeOffset expiresAt);

    /// <summary>
    /// M1, A2: credits a completed payment (a purchase or a reload) to the paid wallet, once per
    /// <paramref name="paymentId"/> whatever the retries: a repeat answers the first credit.
    /// </summary>
    Task<PaymentCredit> CreditPayment(string paymentId, LedgerEntryKind kind, decimal amountUsd, string reference);

    /// <summary>
    /// A2, A5: from now on, tell the app's payments grain when a charge takes the paid balance below
    /// <paramref name="belowUsd"/> (null: stop). Persisted; the notice is one-way and repeated at most once a minute
    /// while the balance stays below, so a lost notice is made good.
    /// </summary>
    Task WatchPaidBalance(decimal? belowUsd);
}

/// <summary>A payment's credit to the paid wallet, with the balance before and after it (for the purchase email).</summary>
[GenerateSerializer, Immutable, Alias("billing.wallets.payment-credit")]
public sealed record PaymentCredit(
    [property: Id(0)] LedgerEntry Entry,
    [property: Id(1)] decimal PreviousBalanceUsd,
    [property: Id(2)] decimal BalanceUsd);
