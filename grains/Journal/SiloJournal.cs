using Azure;
using Azure.Data.Tables;
using Billing.Metering;
using Billing.Telemetry;
using Billing.Usage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Billing.Journal;

/// <summary>
/// The silo's metering journal and what keeps it honest: the one place where the decisions of every app and end user
/// of this silo become durable (group-committed together, <see cref="MeteringJournal"/>), the filer that turns its
/// entries into the usage projections in the background, and the recovery of the journals of silos declared dead.
/// </summary>
/// <remarks>
/// <para>
/// One journal per silo incarnation, named by the cluster and the silo's address and generation, created before any
/// grain activates. Committed entries stay in memory until filed; a filing pass runs every
/// <see cref="MeteringOptions.FilingInterval"/> (sooner when someone waits for it) and takes everything committed
/// since the last, so under load a pass grows rather than falls behind. After a pass the filed chunks are trimmed.
/// </para>
/// <para>
/// Recovery: when membership declares a silo of this cluster dead, this silo seals that silo's journal (a zombie's next
/// append fails on the head's ETag), files what it holds and marks it filed. Grains whose answers depend on the
/// projections (billing sessions, usage logs) wait in activation for <see cref="WhenRecoveredAsync"/>, so none answers
/// from projections that still miss a dead silo's entries.
/// </para>
/// </remarks>
public sealed partial class SiloJournal(
    BillingTables tables,
    ILocalSiloDetails silo,
    IClusterMembershipService membership,
    IOptions<ClusterOptions> cluster,
    IOptions<MeteringOptions> options,
    BillingMetrics metrics,
    IGrainFactory grains,
    ILogger<SiloJournal> logger) : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    public const string FiledProperty = "Filed";

    /// <summary>How long a filing pass waits for one usage log to take what was filed into its partition.</summary>
    private static readonly TimeSpan TellTimeout = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private readonly List<(long Position, ReadOnlyMemory<byte> Entry)> _committed = [];
    private readonly List<(long Position, TaskCompletionSource Filed)> _waiters = [];
    private readonly HashSet<SiloAddress> _checkedDead = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private UsageFiler _filer = null!;
    private LedgerFiler _ledgerFiler = null!;
    private MeteringJournal? _journal;
    private long _filedThrough;
    private long _committedThrough;
    private Task _filing = Task.CompletedTask;
    private Task _membershipWatch = Task.CompletedTask;
    private Task? _recovery;
    private MembershipVersion _recoveryVersion;

    /// <summary>This silo's journal id (its partition in the journal table).</summary>
    public string JournalId => JournalIdOf(silo.SiloAddress);

    /// <summary>The last position of this silo's journal filed into the projections.</summary>
    public long FiledThrough
    {
        get
        {
            lock (_gate)
                return _filedThrough;
        }
    }

    /// <summary>The last position of this silo's journal committed (durable).</summary>
    public long CommittedThrough
    {
        get
        {
            lock (_gate)
                return _committedThrough;
        }
    }

    private string Prefix => $"{cluster.Value.ServiceId}|{cluster.Value.ClusterId}|";

    public string JournalIdOf(SiloAddress address) => Prefix + address.ToParsableString();

    public void Participate(ISiloLifecycle lifecycle)
    {
        // After the tables exist (same stage, subscribed later), before any grain activates.
        lifecycle.Subscribe(nameof(SiloJournal), ServiceLifecycleStage.ApplicationServices, StartAsync, StopAsync);
        lifecycle.Subscribe(nameof(SiloJournal) + ".Recovery", ServiceLifecycleStage.Active, ct =>
        {
            _membershipWatch = WatchMembershipAsync();
            return Task.CompletedTask;
        });
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        await tables.Journal.CreateIfNotExistsAsync(cancellationToken);
        _filer = new UsageFiler(tables.Usage, metrics, logger);
        _ledgerFiler = new LedgerFiler(tables.Ledgers, metrics, logger);
        _journal = await MeteringJournal.CreateAsync(tables.Journal, JournalId, metrics, logger, cancellationToken);
        _journal.Committed = OnCommitted;
        _filing = FileLoopAsync();
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        // Grains are gone by now: file the rest, then mark the journal filed so that no survivor has to. A write that
        // storage keeps refusing is abandoned when the host gives up waiting: a survivor settles it from the head row.
        using var giveUp = cancellationToken.Register(() => _journal?.Shutdown());
        _stopping.Cancel();
        await _filing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _membershipWatch.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (cancellationToken.IsCancellationRequested || _journal is null)
            return; // stopped ungracefully: a survivor recovers the journal
        try
        {
            await FilePendingAsync(cancellationToken);
            var next = await MeteringJournal.SealAsync(tables.Journal, JournalId, JournalId, logger, cancellationToken);
            await MarkFiledAsync(tables.Journal, JournalId, next, cancellationToken);
        }
        catch (Exception e) when (e is RequestFailedException or OperationCanceledException or IOException or HttpRequestException)
        {
            LogStopFilingFailed(logger, e, JournalId);
        }
    }

    /// <summary>Makes <paramref name="record"/> durable in this silo's journal; the task answers its position once committed.</summary>
    public Task<long> AppendAsync(UsageRecord record) =>
        (_journal ?? throw new InvalidOperationException("The silo journal is not started.")).AppendAsync(JournalEntries.Usage(record));

    /// <summary>Makes a journaled ledger book's <paramref name="posting"/> durable in this silo's journal; answers its position once committed.</summary>
    public Task<long> AppendAsync(Billing.Ledgers.JournaledPosting posting) =>
        (_journal ?? throw new InvalidOperationException("The silo journal is not started.")).AppendAsync(JournalEntries.Ledger(posting));

    /// <summary>
    /// The position the last entry appended so far will have once committed (entries are numbered in the order they were
    /// appended): waiting until it is filed covers writes still in flight, not only those already committed.
    /// </summary>
    public long AppendedThrough => _journal?.Appended ?? 0;

    /// <summary>Completes once this silo's journal is filed through <paramref name="position"/> (asks for a pass now).</summary>
    public Task WhenFiledAsync(long position)
    {
        lock (_gate)
        {
            if (position <= _filedThrough)
                return Task.CompletedTask;
            var filed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((position, filed));
            _wake.Release();
            return filed.Task;
        }
    }

    /// <summary>
    /// Completes once every silo that this silo's membership view declares dead has had its journal filed. Cheap when
    /// nothing died since the last check: grains await it in activation.
    /// </summary>
    public Task WhenRecoveredAsync()
    {
        var snapshot = membership.CurrentSnapshot;
        lock (_gate)
        {
            var pending = false;
            foreach (var member in snapshot.Members.Values)
            {
                if (member.Status == SiloStatus.Dead && !_checkedDead.Contains(member.SiloAddress) && !member.SiloAddress.Equals(silo.SiloAddress))
                {
                    pending = true;
                    break;
                }
            }

            if (!pending)
                return Task.CompletedTask;
            if (_recovery is null || _recoveryVersion.Value < snapshot.Version.Value || _recovery.IsFaulted)
            {
                _recoveryVersion = snapshot.Version;
                _recovery = RecoverAsync(snapshot, _recovery);
            }

            return _recovery;
        }
    }

    private void OnCommitted(long first, IReadOnlyList<ReadOnlyMemory<byte>> entries)
    {
        lock (_gate)
        {
            _committedThrough = first + entries.Count - 1;
            // Kept as bytes: decoding belongs to the filing pass, not to the write loop every decision waits on.
            for (var i = 0; i < entries.Count; i++)
                _committed.Add((first + i, entries[i]));
            if (_waiters.Count > 0)
                _wake.Release(); // someone waits for these to be filed: no need to wait for the next interval
        }
    }

    private async Task FileLoopAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(options.Value.FilingInterval, token);
                await FilePendingAsync(token);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is RequestFailedException or TableTransactionFailedException or IOException or TimeoutException or HttpRequestException or InvalidOperationException)
            {
                // Nothing is lost: the entries stay queued (and durable in the journal) for the next pass.
                LogFilingFailed(logger, e, JournalId);
            }
        }
    }

    /// <summary>Files everything committed so far, then trims the journal through what was filed.</summary>
    private async Task FilePendingAsync(CancellationToken cancellationToken)
    {
        List<(long Position, ReadOnlyMemory<byte> Entry)> pass;
        lock (_gate)
        {
            if (_committed.Count == 0)
            {
                _filedThrough = Math.Max(_filedThrough, _committedThrough);
                CompleteWaiters();
                return;
            }

            pass = [.. _committed];
        }

        await FileEntriesAsync(_filer, _ledgerFiler, TellUsageLogsAsync, JournalId, pass, cancellationToken);
        var through = pass[^1].Position;
        lock (_gate)
        {
            _committed.RemoveRange(0, pass.Count);
            _filedThrough = Math.Max(_filedThrough, through);
            CompleteWaiters();
        }

        await MeteringJournal.TrimAsync(tables.Journal, JournalId, through, cancellationToken);
    }

    /// <summary>
    /// Files journal entries into the projections: usage records into the usage partitions, postings into their ledger
    /// books; then tells each app-day's usage log what was filed there (<paramref name="tellUsageLogs"/>), so that its
    /// index, where a starting billing-session grain finds its end user, is current without reading the partition.
    /// </summary>
    private static async Task FileEntriesAsync(
        UsageFiler usage, LedgerFiler ledgers, Func<List<UsageRecord>, CancellationToken, Task> tellUsageLogs, string journalId,
        List<(long Position, ReadOnlyMemory<byte> Entry)> entries, CancellationToken cancellationToken)
    {
        var records = new List<(long Position, UsageRecord Record)>(entries.Count);
        var postings = new List<Billing.Ledgers.JournaledPosting>();
        foreach (var (position, entry) in entries)
        {
            if (JournalEntries.ReadUsage(entry) is { } record)
                records.Add((position, record));
            else if (JournalEntries.ReadLedger(entry) is { } posting)
                postings.Add(posting);
        }

        await Task.WhenAll(ledgers.FileAsync(postings, cancellationToken), usage.FileAsync(journalId, records, cancellationToken));
        // All of them, also those a retried pass found filed already: the pass that filed them may have failed before
        // telling. Indexing is idempotent by message id.
        await tellUsageLogs(records.ConvertAll(r => r.Record), cancellationToken);
    }

    /// <summary>
    /// Tells each app-day's usage log the records filed into its partition (one call per partition, a few at once). A
    /// usage log that cannot be reached (its silo died or is dying, or its activation failed) is not waited for: the
    /// activation that answers next loads the partition, which already holds these records, so filing, and everything
    /// that waits for it, never stalls on a silo that membership has not yet declared dead. A call that times out is
    /// the one case left open (a live but stalled activation would miss them): it is logged as a warning.
    /// </summary>
    private Task TellUsageLogsAsync(List<UsageRecord> records, CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(
            records.GroupBy(r => UsageLogKey.For(r.AppId, DateOnly.FromDateTime(r.At.UtcDateTime)), StringComparer.Ordinal),
            new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken },
            async (partition, ct) =>
            {
                try
                {
                    await grains.GetGrain<IUsageLogGrain>(partition.Key).Filed([.. partition]).WaitAsync(TellTimeout, ct);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    LogTellFailed(logger, e, partition.Key, partition.Count());
                }
            });

    private void CompleteWaiters()
    {
        _waiters.RemoveAll(w =>
        {
            if (w.Position > _filedThrough)
                return false;
            w.Filed.TrySetResult();
            return true;
        });
    }

    private async Task WatchMembershipAsync()
    {
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(_stopping.Token))
            {
                if (snapshot.Members.Values.Any(m => m.Status == SiloStatus.Dead))
                    await WhenRecoveredAsync().ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Seals and files the journal of every dead silo of the snapshot that is not yet filed; fails if one could not be.</summary>
    private async Task RecoverAsync(ClusterMembershipSnapshot snapshot, Task? previous)
    {
        if (previous is not null)
            await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var dead = snapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead && !m.SiloAddress.Equals(silo.SiloAddress)).Select(m => m.SiloAddress).ToList();
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
                await RecoverJournalAsync(JournalIdOf(address), _stopping.Token);
                lock (_gate)
                    _checkedDead.Add(address);
            }
            catch (Exception e) when (e is RequestFailedException or TableTransactionFailedException or IOException or TimeoutException or HttpRequestException or InvalidOperationException)
            {
                LogRecoveryFailed(logger, e, JournalIdOf(address));
                all = false;
            }
        }

        if (!all)
            throw new InvalidOperationException("A dead silo's metering journal could not be filed yet; retry.");
    }

    /// <summary>Seals a dead silo's journal, files what it holds and marks it filed (see <see cref="RecoverJournalAsync(TableClient, UsageFiler, LedgerFiler, Func{List{UsageRecord}, CancellationToken, Task}, string, string, ILogger, CancellationToken)"/>).</summary>
    public Task RecoverJournalAsync(string journalId, CancellationToken cancellationToken) =>
        RecoverJournalAsync(tables.Journal, _filer, _ledgerFiler, TellUsageLogsAsync, journalId, JournalId, logger, cancellationToken);

    /// <summary>
    /// Seals journal <paramref name="journalId"/> (its owner, if it still runs, can append nothing more), files every entry
    /// it holds into the projections and marks it filed. Idempotent: the filer skips what is already filed, a filed
    /// journal is left alone, and a journal never created is nothing to do.
    /// </summary>
    public static async Task RecoverJournalAsync(
        TableClient journals, UsageFiler filer, LedgerFiler ledgerFiler, Func<List<UsageRecord>, CancellationToken, Task> tellUsageLogs,
        string journalId, string recoveredBy, ILogger logger, CancellationToken cancellationToken)
    {
        var head = await journals.GetEntityIfExistsAsync<TableEntity>(journalId, MeteringJournal.HeadRowKey, cancellationToken: cancellationToken);
        if (!head.HasValue || head.Value is not { } row || row.GetBoolean(FiledProperty) == true)
            return;
        var next = await MeteringJournal.SealAsync(journals, journalId, recoveredBy, logger, cancellationToken);
        var entries = new List<(long Position, ReadOnlyMemory<byte> Entry)>();
        await foreach (var item in MeteringJournal.ReadAsync(journals, journalId, 0, cancellationToken))
            entries.Add(item);

        await FileEntriesAsync(filer, ledgerFiler, tellUsageLogs, journalId, entries, cancellationToken);
        await MarkFiledAsync(journals, journalId, next, cancellationToken);
        await MeteringJournal.TrimAsync(journals, journalId, next - 1, cancellationToken);
        LogRecovered(logger, journalId, entries.Count);
    }

    private static Task<Response> MarkFiledAsync(TableClient journals, string journalId, long next, CancellationToken cancellationToken) =>
        journals.UpdateEntityAsync(new TableEntity(journalId, MeteringJournal.HeadRowKey) { [FiledProperty] = true, ["FiledThrough"] = next - 1 }, ETag.All, TableUpdateMode.Merge, cancellationToken);

    public void Dispose()
    {
        _stopping.Dispose();
        _wake.Dispose();
        _filer?.Dispose();
        _ledgerFiler?.Dispose();
        _journal?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Usage log {UsageLog} was not told of {Records} records filed into its partition; its next activation reads them there")]
    private static partial void LogTellFailed(ILogger logger, Exception exception, string usageLog, int records);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Journal {JournalId}: a filing pass failed; its entries stay queued for the next")]
    private static partial void LogFilingFailed(ILogger logger, Exception exception, string journalId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Journal {JournalId}: filing at shutdown failed; a survivor will file it")]
    private static partial void LogStopFilingFailed(ILogger logger, Exception exception, string journalId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Recovery of the dead silo's journal {JournalId} failed; grains wait and it is tried again")]
    private static partial void LogRecoveryFailed(ILogger logger, Exception exception, string journalId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Recovered the dead silo's journal {JournalId}: {Entries} entries filed")]
    private static partial void LogRecovered(ILogger logger, string journalId, int entries);
}
