using Billing.Ledgers;

namespace Billing.Wallets;

/// <summary>C1, C2: a workspace's free credits: granted, used by its apps, remaining, forfeited, and when they expire.</summary>
[GenerateSerializer, Immutable, Alias("billing.wallets.free-credit-stats")]
public sealed record FreeCreditStats(
    [property: Id(0)] string WorkspaceId,
    [property: Id(1)] decimal GrantedUsd,
    [property: Id(2)] decimal UsedUsd,
    [property: Id(3)] decimal RemainingUsd,
    [property: Id(4)] decimal ForfeitedUsd,
    [property: Id(5)] DateTimeOffset? ExpiresAt,
    [property: Id(6)] bool Expired,
    [property: Id(7)] IReadOnlyList<AppFreeCreditUse> Apps);

[GenerateSerializer, Immutable, Alias("billing.wallets.app-free-credit-use")]
public sealed record AppFreeCreditUse(
    [property: Id(0)] string AppId,
    [property: Id(1)] decimal DrawnUsd,
    [property: Id(2)] decimal RemainingUsd);

/// <summary>Free credits moved from the pool to an app (<see cref="AmountUsd"/> may be less than asked, or zero).</summary>
[GenerateSerializer, Immutable, Alias("billing.wallets.free-credit-draw")]
public sealed record FreeCreditDraw(
    [property: Id(0)] decimal AmountUsd,
    [property: Id(1)] DateTimeOffset ExpiresAt);

/// <summary>
/// The free-credit pool of one workspace (keyed by the workspace id), shared by all its apps (C1). Apps draw
/// from it in blocks (so that the pool is not on the path of every charge, and a charge split between paid and
/// free credits is one atomic write in the app's own ledger book); at expiry a reminder forfeits what is left
/// in the pool and in every app's drawn block (C2).
/// </summary>
public interface IFreeCreditPoolGrain : IGrainWithStringKey
{
    /// <summary>Posts the workspace's grant to the pool and arms the expiry reminder. Idempotent; the workspace calls it on creation.</summary>
    Task EnsureGranted();

    /// <summary>
    /// Moves up to <paramref name="amountUsd"/> of unexpired free credits to app <paramref name="appId"/>. Idempotent on
    /// <paramref name="drawId"/>: a retry answers the first draw.
    /// </summary>
    Task<FreeCreditDraw> Draw(string appId, string drawId, decimal amountUsd);

    Task<FreeCreditStats> GetStats();

    /// <summary>
    /// Forfeits the free credits if their expiry fell due on the workspace's time, a sandbox test clock's included (C2).
    /// The test clock calls it after each move; the expiry reminder does the same at the real due date. Idempotent.
    /// </summary>
    Task RunDue();

    /// <summary>The pool's own ledger (grant, draws, expiry, operator grants) after <paramref name="afterSeq"/>.</summary>
    Task<LedgerPage> GetLedger(long afterSeq, int limit);

    /// <summary>An operator's free-credit grant or adjustment of the pool, idempotent on its key (C7).</summary>
    Task<LedgerEntry> Adjust(WalletAdjustment adjustment);
}
