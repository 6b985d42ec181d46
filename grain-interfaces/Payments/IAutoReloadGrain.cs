using Billing.Notifications;
using Orleans.Concurrency;

namespace Billing.Payments;

/// <summary>
/// Auto-reload of one app (keyed by the app id), A1-A5: its settings, the one reload in flight, the retries of a failed
/// reload and the low-balance alert. One grain per app is the consistency boundary that makes "never two reloads in
/// flight" (A2) true: a reload is persisted as in flight before the gateway is called, and the grain is non-reentrant.
/// </summary>
public interface IAutoReloadGrain : IGrainWithStringKey
{
    /// <summary>A1, A4: switches auto-reload on (after a completed purchase) or off, with its settings.</summary>
    Task<AutoReloadView> ConfigureAutoReload(AutoReloadSettings settings, string userId);

    Task<AutoReloadView> GetAutoReload();

    /// <summary>
    /// A2, A5: the paid balance fell below the watched limit: this grain re-reads the balance and decides (a doubled or
    /// stale notice changes nothing), and answers once it has. The wallet's notice reaches it one-way through
    /// <see cref="IAppPaymentsGrain.PaidBalanceLow"/>, so the charge path never waits for a reload.
    /// </summary>
    Task PaidBalanceLow();

    /// <summary>
    /// A5: a purchase completed and the paid balance is now <paramref name="paidBalanceUsd"/>: above the low-balance limit
    /// the next crossing may alert again, and the wallet is told which balance to watch. Awaited by the purchase, so the
    /// wallet watches before the purchase answers (this grain never waits on the purchases grain: no circle).
    /// </summary>
    Task PurchaseCompleted(decimal paidBalanceUsd);

    /// <summary>The settings as the purchase emails show them. A read of the settings, so it may run between the grain's turns.</summary>
    [AlwaysInterleave]
    Task<AutoReloadSummary> GetSummary();

    /// <summary>Does what is due at the app's (test-clock) time: a reload retry, an interrupted reload. What a reminder tick does.</summary>
    Task RunDue();
}
