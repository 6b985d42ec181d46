using Azure.Data.Tables;
using Billing.Ledgers;
using Billing.Usage;

namespace Billing;

/// <summary>
/// The tables billing grains write directly (not through grain storage), because their records are append-only
/// and group-committed: ledger books and usage logs. Created when the silo starts, before any grain activates.
/// </summary>
public sealed class BillingTables(TableServiceClient service) : ILifecycleParticipant<ISiloLifecycle>
{
    public TableClient Ledgers { get; } = service.GetTableClient(LedgerTable.TableName);

    public TableClient Usage { get; } = service.GetTableClient(UsageTable.TableName);

    /// <summary>The silos' metering journals (<see cref="Billing.Journal.SiloJournal"/>), one partition per silo incarnation.</summary>
    public TableClient Journal { get; } = service.GetTableClient(JournalTableName);

    public const string JournalTableName = "MeteringJournal";

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(BillingTables), ServiceLifecycleStage.ApplicationServices, async ct =>
        {
            await Ledgers.CreateIfNotExistsAsync(ct);
            await Usage.CreateIfNotExistsAsync(ct);
            await Journal.CreateIfNotExistsAsync(ct);
        });
}
