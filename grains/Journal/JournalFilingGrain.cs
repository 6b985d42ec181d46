using Billing.Usage;
using Orleans.Concurrency;
using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace Billing.Journal;

/// <summary>Runs on the silo its key names and waits for that silo's journal to be filed (see <see cref="IJournalFilingGrain"/>).</summary>
[Reentrant]
[OnNamedSilo]
public sealed class JournalFilingGrain(SiloJournal journal) : Grain, IJournalFilingGrain
{
    async Task IJournalFilingGrain.FileNow()
    {
        await journal.WhenRecoveredAsync();
        // Everything appended before the call, the writes still in flight included, not only what has committed.
        await journal.WhenFiledAsync(journal.AppendedThrough);
    }
}

/// <summary>
/// Read-your-writes for the projections: every active silo files what was appended to its journal before the call.
/// </summary>
public static class UsageFiling
{
    /// <summary>How long a read waits for one silo; a silo that does not answer (dying) is left to recovery.</summary>
    private static readonly TimeSpan PerSilo = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Completes once every active silo has filed what its journal held when asked. Reads of usage use it leniently (a
    /// silo that does not answer is dying, and its journal is filed by whoever recovers it); a journaled ledger book's
    /// owner uses it strictly before it loads, since a posting left in a live silo's journal would fork its numbering.
    /// </summary>
    /// <param name="strict">Fail (the caller retries) rather than go on when a silo does not answer.</param>
    public static async Task FileEverywhereAsync(IGrainFactory grains, bool strict = false)
    {
        var hosts = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        await Task.WhenAll(hosts.Keys.Select(async silo =>
        {
            try
            {
                await grains.GetGrain<IJournalFilingGrain>(silo.ToParsableString()).FileNow().WaitAsync(PerSilo);
            }
            catch (Exception e) when (!strict && e is TimeoutException or SiloUnavailableException or OrleansMessageRejectionException)
            {
                // Its journal is filed by whoever recovers it once it is declared dead.
            }
        }));
    }
}

/// <summary>Places a grain on the silo whose address is its key (<see cref="JournalFilingGrain"/>).</summary>
[GenerateSerializer, Immutable, Alias("billing.placement.named-silo")]
public sealed class NamedSiloPlacement : PlacementStrategy
{
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class OnNamedSiloAttribute() : PlacementAttribute(new NamedSiloPlacement());

public sealed class NamedSiloPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var named = SiloAddress.FromParsableString(target.GrainIdentity.Key.ToString());
        return context.GetCompatibleSilos(target).Contains(named)
            ? Task.FromResult(named)
            : Task.FromException<SiloAddress>(new SiloUnavailableException($"Silo {named} is not active."));
    }
}
