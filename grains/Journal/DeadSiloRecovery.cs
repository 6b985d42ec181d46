using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;

namespace Billing.Journal;

/// <summary>
/// Recovery of the journals of silos declared dead, run by every survivor: the dead silo's journal is sealed (a zombie's
/// next append fails on the head's ETag), what it holds is filed into the projections, and it is marked filed. Grains
/// whose answers depend on the projections (billing sessions, wallets, usage logs) wait for
/// <see cref="WhenRecoveredAsync"/> before they answer, so none answers from projections that still miss a dead
/// silo's entries.
/// </summary>
/// <remarks>
/// <para>
/// A silo that is shutting down files its own journal as it stops, after its grains deactivated; a grain that moved
/// from it could load here before that (its old activation's wait for filing cut short by a slow stop), and read a
/// ledger book or a usage index without that silo's last entries (found by the fault simulator under load). So while
/// another silo is shutting down, <see cref="WhenRecoveredAsync"/> waits until it has left (dead, its journal filed
/// by itself or recovered here). Only during stops: otherwise it costs a look at the membership snapshot.
/// </para>
/// <para>
/// Survivors may recover the same journal at once: sealing is idempotent, filing is idempotent by position and
/// sequence, and a journal marked filed is left alone. A recovery that fails (storage refusing) fails the waiting
/// activations, whose callers retry, and is started over by the next one that asks.
/// </para>
/// </remarks>
public sealed partial class DeadSiloRecovery(
    TableClient journals,
    JournalFiling filing,
    IClusterMembershipService membership,
    SiloAddress self,
    Func<SiloAddress, string> journalIdOf,
    ILogger logger)
{
    private readonly Lock _gate = new();
    private readonly HashSet<SiloAddress> _checkedDead = [];
    private Task? _recovery;
    private MembershipVersion _recoveryVersion;
    private Task? _departures;

    /// <summary>How often a wait for a stopping silo looks at the membership snapshot again (memory only, no I/O).</summary>
    private static readonly TimeSpan DepartureCheck = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Completes once every silo that this silo's membership view declares dead has had its journal filed. Cheap when
    /// nothing died since the last check: grains await it in activation.
    /// </summary>
    public Task WhenRecoveredAsync(CancellationToken stopping)
    {
        var snapshot = membership.CurrentSnapshot;
        lock (_gate)
        {
            var pending = false;
            var departing = false;
            foreach (var member in snapshot.Members.Values)
            {
                if (member.SiloAddress.Equals(self))
                    continue;
                pending |= member.Status == SiloStatus.Dead && !_checkedDead.Contains(member.SiloAddress);
                departing |= member.Status is SiloStatus.ShuttingDown or SiloStatus.Stopping;
            }

            if (departing)
            {
                if (_departures is null || _departures.IsCompleted)
                    _departures = AfterDeparturesAsync(stopping);
                return _departures;
            }

            if (!pending)
                return Task.CompletedTask;
            if (_recovery is null || _recoveryVersion.Value < snapshot.Version.Value || _recovery.IsFaulted)
            {
                _recoveryVersion = snapshot.Version;
                _recovery = RecoverAsync(snapshot, _recovery, stopping);
            }

            return _recovery;
        }
    }

    /// <summary>Waits until no other silo is shutting down, then for the recovery of those that died meanwhile.</summary>
    private async Task AfterDeparturesAsync(CancellationToken stopping)
    {
        while (membership.CurrentSnapshot.Members.Values.Any(m => (m.Status is SiloStatus.ShuttingDown or SiloStatus.Stopping) && !m.SiloAddress.Equals(self)))
            await Task.Delay(DepartureCheck, stopping);
        await WhenRecoveredAsync(stopping);
    }

    /// <summary>Recovers as soon as membership declares a silo dead, not only when a grain first asks.</summary>
    public async Task WatchMembershipAsync(CancellationToken stopping)
    {
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stopping))
            {
                if (snapshot.Members.Values.Any(m => m.Status == SiloStatus.Dead))
                    await WhenRecoveredAsync(stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Seals and files the journal of every dead silo of the snapshot that is not yet filed; fails if one could not be.</summary>
    private async Task RecoverAsync(ClusterMembershipSnapshot snapshot, Task? previous, CancellationToken stopping)
    {
        if (previous is not null)
            await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var dead = snapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead && !m.SiloAddress.Equals(self)).Select(m => m.SiloAddress).ToList();
        var all = true;
        foreach (var address in dead)
        {
            lock (_gate)
            {
                if (_checkedDead.Contains(address))
                    continue;
            }

            try
            {
                await RecoverJournalAsync(journals, filing, journalIdOf(address), journalIdOf(self), logger, stopping);
                lock (_gate)
                    _checkedDead.Add(address);
            }
            catch (Exception e) when (StorageFailures.IsTransient(e, includeCancellation: false) || e is InvalidOperationException)
            {
                LogRecoveryFailed(logger, e, journalIdOf(address));
                all = false;
            }
        }

        if (!all)
            throw new InvalidOperationException("A dead silo's metering journal could not be filed yet; retry.");
    }

    /// <summary>
    /// Seals journal <paramref name="journalId"/> (its owner, if it still runs, can append nothing more), files every entry
    /// it holds into the projections and marks it filed. Idempotent: the filers skip what is already filed, a filed
    /// journal is left alone, and a journal never created is nothing to do.
    /// </summary>
    public static async Task RecoverJournalAsync(
        TableClient journals, JournalFiling filing, string journalId, string recoveredBy, ILogger logger, CancellationToken cancellationToken)
    {
        var head = await journals.GetEntityIfExistsAsync<TableEntity>(journalId, MeteringJournal.HeadRowKey, cancellationToken: cancellationToken);
        if (!head.HasValue || head.Value is not { } row || row.GetBoolean(MeteringJournal.FiledProperty) == true)
            return;
        var next = await MeteringJournal.SealAsync(journals, journalId, recoveredBy, logger, cancellationToken);
        var entries = new List<JournalEntry>();
        await foreach (var (position, bytes) in MeteringJournal.ReadAsync(journals, journalId, 0, cancellationToken))
            entries.Add(new JournalEntry(position, bytes));

        // A usage log that was not told is on a silo that is dying too (recovery runs right after a death): its next
        // activation loads the partition, which holds these records now.
        await filing.FileAsync(journalId, entries, cancellationToken);
        await MeteringJournal.MarkFiledAsync(journals, journalId, next, cancellationToken);
        await MeteringJournal.TrimAsync(journals, journalId, next - 1, cancellationToken);
        LogRecovered(logger, journalId, entries.Count);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Recovery of the dead silo's journal {JournalId} failed; grains wait and it is tried again")]
    private static partial void LogRecoveryFailed(ILogger logger, Exception exception, string journalId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Recovered the dead silo's journal {JournalId}: {Entries} entries filed")]
    private static partial void LogRecovered(ILogger logger, string journalId, int entries);
}
