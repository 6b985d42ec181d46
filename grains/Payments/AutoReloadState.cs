namespace Billing.Payments;

/// <summary>Auto-reload of one app: its settings and where its reloads stand. Fixed size: reloads done live in the <c>Payments</c> table.</summary>
[GenerateSerializer, Alias("billing.payments.auto-reload.state")]
public sealed class AutoReloadState
{
    [Id(0)] public AutoReloadSettings Settings { get; set; } = new(false, null, null, null);

    /// <summary>A4: numbers the setting changes, so that each one's event has its own id.</summary>
    [Id(1)] public int Version { get; set; }

    /// <summary>Numbers the reloads: the n-th is payment <c>reload-{n}</c>, also its gateway key.</summary>
    [Id(2)] public int ReloadSequence { get; set; }

    /// <summary>A2: the one reload in flight; persisted before the gateway is called, so a crash resumes it instead of starting another.</summary>
    [Id(3)] public PaymentRecord? InFlight { get; set; }

    /// <summary>A3: failed reloads in a row, and when the next try is due (null: none scheduled).</summary>
    [Id(4)] public int FailedAttempts { get; set; }

    [Id(5)] public DateTimeOffset? NextRetryAt { get; set; }

    [Id(6)] public string? LastFailure { get; set; }

    /// <summary>A5: the alert of this crossing went out; cleared when the balance climbs above the limit again.</summary>
    [Id(7)] public bool LowBalanceAlerted { get; set; }

    [Id(8)] public int LowBalanceCrossings { get; set; }

    [Id(9)] public int CompletedReloads { get; set; }

    /// <summary>The limit the wallet was last told to watch, so it is told again only when it changes.</summary>
    [Id(10)] public decimal? WatchedLimitUsd { get; set; }

    /// <summary>Auto-reload's part of a state from before the split was taken over (or there was none).</summary>
    [Id(11)] public bool Imported { get; set; }
}
