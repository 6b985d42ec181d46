namespace Billing.Wallets;

[GenerateSerializer, Alias("billing.wallets.app-wallet.state")]
public sealed class AppWalletState
{
    /// <summary>
    /// A draw from the pool that was asked for but may not be credited yet. Persisted before asking, so that after a
    /// crash the same draw id is asked again: the pool replays it and the credit lands exactly once.
    /// </summary>
    [Id(0)] public string? PendingDrawId { get; set; }

    [Id(1)] public long Draws { get; set; }

    /// <summary>When the drawn free credits expire (the workspace grant's expiry, C2).</summary>
    [Id(2)] public DateTimeOffset? FreeExpiresAt { get; set; }

    /// <summary>A2, A5: the paid balance below which the app's payments grain is told (null: nobody watches).</summary>
    [Id(3)] public decimal? WatchPaidBelowUsd { get; set; }
}
