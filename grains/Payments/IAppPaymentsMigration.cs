using Orleans.Concurrency;

namespace Billing.Payments;

/// <summary>
/// How the vault and auto-reload grains take over their part of an <see cref="AppPaymentsState"/> written before they
/// had grains of their own (see its remarks). Implemented by <see cref="AppPaymentsGrain"/>, which holds that state; not
/// part of the contract shared with the API.
/// </summary>
public interface IAppPaymentsMigration : IGrainWithStringKey
{
    /// <summary>
    /// The stored methods of the old state (none when there were none, or they were taken already). Interleaved: called
    /// from the vault's activation, possibly while this grain waits for the vault.
    /// </summary>
    [AlwaysInterleave]
    Task<LegacyVault> TakeVault();

    /// <summary>The vault stored them: forget them here. One-way, so the vault's activation never waits on this grain's queue.</summary>
    [OneWay]
    Task VaultTaken();

    /// <summary>Auto-reload's part of the old state, or null. Interleaved, as <see cref="TakeVault"/>.</summary>
    [AlwaysInterleave]
    Task<LegacyAutoReload?> TakeAutoReload();

    /// <summary>Auto-reload stored its part: forget it here. One-way, as <see cref="VaultTaken"/>.</summary>
    [OneWay]
    Task AutoReloadTaken();
}
