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
/// The silo's metering journal: the one place where the decisions of every app and end user of this silo become durable
/// (group-committed together, <see cref="MeteringJournal"/>), and the filing loop that turns its entries into the usage
/// and ledger projections in the background (<see cref="JournalFiling"/>). The journals of silos declared dead are
/// filed by <see cref="DeadSiloRecovery"/>, which this class starts and exposes.
/// </summary>
/// <remarks>
/// <para>
/// One journal per silo incarnation, named by the cluster and the silo's address and generation, created before any
/// grain activates. Committed entries stay in memory until filed; a filing pass runs every
/// <see cref="MeteringOptions.FilingInterval"/> (sooner when someone waits for it) and takes everything committed
/// since the last, so under load a pass grows rather than falls behind. After a pass the filed chunks are trimmed.
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
    BillingClock clock,
    ILogger<SiloJournal> logger) : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    /// <summary>How long a filing pass waits for one usage log to take what was filed into its partition.</summary>
    private static readonly TimeSpan TellTimeout = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private readonly List<JournalEntry> _committed = [];
    private readonly List<(long Position, TaskCompletionSource Filed)> _waiters = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private JournalFiling _filing = null!;
    private DeadSiloRecovery _recovery = null!;
    private MeteringJournal? _journal;

    /// <summary>Filed usage records whose usage log timed out taking them: told again each pass (the filing loop's own).</summary>
    private List<(long Position, UsageRecord Record)> _untold = [];
    private long _filedThrough;
    private long _committedThrough;
    private Task _fileLoop = Task.CompletedTask;
    private Task _membershipWatch = Task.CompletedTask;

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

    /// <summary>
    /// Why this silo's journal stopped writing while the silo runs (null while it writes, or once the silo is stopping):
    /// a journal never starts again in the same process, so every decision of this silo fails until it is restarted.
    /// </summary>
    public Exception? Failure => _stopping.IsCancellationRequested ? null : _journal?.StoppedBy;

    private string Prefix => $"{cluster.Value.ServiceId}|{cluster.Value.ClusterId}|";

    public string JournalIdOf(SiloAddress address) => Prefix + address.ToParsableString();

    public void Participate(ISiloLifecycle lifecycle)
    {
        // After the tables exist (same stage, subscribed later), before any grain activates.
        lifecycle.Subscribe(nameof(SiloJournal), ServiceLifecycleStage.ApplicationServices, StartAsync, StopAsync);
        lifecycle.Subscribe(nameof(SiloJournal) + ".Recovery", ServiceLifecycleStage.Active, ct =>
        {
            _membershipWatch = _recovery.WatchMembershipAsync(_stopping.Token);
            return Task.CompletedTask;
        });
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        await tables.Journal.CreateIfNotExistsAsync(cancellationToken);
        var limits = new FilingLimits(options.Value.FilingTransactionChunks, options.Value.FilingParallelism);
        _filing = new JournalFiling(new UsageFiler(tables.Usage, metrics, logger, limits), new LedgerFiler(tables.Ledgers, metrics, logger, limits), TellUsageLogsAsync);
        _recovery = new DeadSiloRecovery(tables.Journal, _filing, membership, silo.SiloAddress, JournalIdOf, logger);
        _journal = await MeteringJournal.CreateAsync(tables.Journal, JournalId, metrics, logger, cancellationToken);
        _journal.Committed = OnCommitted;
        _fileLoop = FileLoopAsync();
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        // Grains are gone by now: file the rest, then mark the journal filed so that no survivor has to. A write that
        // storage keeps refusing is abandoned when the host gives up waiting: a survivor settles it from the head row.
        using var giveUp = cancellationToken.Register(() => _journal?.Shutdown());
        _stopping.Cancel();
        await _fileLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _membershipWatch.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (cancellationToken.IsCancellationRequested || _journal is null)
            return; // stopped ungracefully: a survivor recovers the journal
        try
        {
            await FilePendingAsync(cancellationToken);
            var next = await MeteringJournal.SealAsync(tables.Journal, JournalId, JournalId, logger, cancellationToken);
            if (_untold.Count > 0)
            {
                // Usage logs that still miss records of this journal: left sealed and unfiled, so that the survivor that
                // recovers it (once this silo is declared dead) files it again and tells them.
                LogLeftForRecovery(logger, JournalId, _untold.Count);
                return;
            }

            await MeteringJournal.MarkFiledAsync(tables.Journal, JournalId, next, cancellationToken);
        }
        catch (Exception e) when (StorageFailures.IsTransient(e) || e is InvalidOperationException)
        {
            LogStopFilingFailed(logger, e, JournalId);
        }
    }

    /// <summary>Makes <paramref name="record"/> durable in this silo's journal; the task answers its position once committed.</summary>
    public Task<long> AppendAsync(UsageRecord record) =>
        (_journal ?? throw new InvalidOperationException("The silo journal is not started.")).AppendAsync(JournalEntries.Usage(record), record);

    /// <summary>Makes a journaled ledger book's <paramref name="posting"/> durable in this silo's journal; answers its position once committed.</summary>
    public Task<long> AppendAsync(Billing.Ledgers.JournaledPosting posting) =>
        (_journal ?? throw new InvalidOperationException("The silo journal is not started.")).AppendAsync(JournalEntries.Ledger(posting), posting);

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
    public Task WhenRecoveredAsync() => _recovery.WhenRecoveredAsync(_stopping.Token);

    private void OnCommitted(long first, IReadOnlyList<(ReadOnlyMemory<byte> Bytes, object? Decoded)> entries)
    {
        lock (_gate)
        {
            _committedThrough = first + entries.Count - 1;
            // Kept with the records and postings themselves (immutable, and already in memory): the filing pass files
            // them without decoding the bytes, which cost the silo more allocation per decision than the decision's own.
            for (var i = 0; i < entries.Count; i++)
                _committed.Add(new JournalEntry(first + i, entries[i].Bytes, entries[i].Decoded));
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
            catch (Exception e) when (!token.IsCancellationRequested)
            {
                // Nothing is lost: the entries stay queued (and durable in the journal) for the next pass. Whatever went
                // wrong, the loop goes on: a filing loop that ended would leave every wait for filing waiting forever.
                LogFilingFailed(logger, e, JournalId);
            }
        }
    }

    /// <summary>
    /// Files everything committed so far, tells the usage logs again what they missed before, then trims the journal
    /// through what was filed and told (an entry whose usage log was not told stays, so that if this silo stops before
    /// telling it, a survivor's recovery files the journal again and tells it).
    /// </summary>
    private async Task FilePendingAsync(CancellationToken cancellationToken)
    {
        List<JournalEntry> pass;
        lock (_gate)
        {
            if (_committed.Count == 0)
            {
                _filedThrough = Math.Max(_filedThrough, _committedThrough);
                CompleteWaiters();
                pass = [];
            }
            else
            {
                pass = [.. _committed];
            }
        }

        if (pass.Count == 0 && _untold.Count == 0)
            return;
        var untold = pass.Count == 0 ? [] : await _filing.FileAsync(JournalId, pass, cancellationToken);
        if (_untold.Count > 0)
            untold.AddRange(await TellUsageLogsAsync(Unexpired(_untold), cancellationToken));
        _untold = untold;
        long through;
        lock (_gate)
        {
            if (pass.Count > 0)
            {
                _committed.RemoveRange(0, pass.Count);
                _filedThrough = Math.Max(_filedThrough, pass[^1].Position);
                CompleteWaiters();
            }

            through = _filedThrough;
        }

        if (untold.Count > 0)
            through = Math.Min(through, untold.Min(u => u.Position) - 1);
        await MeteringJournal.TrimAsync(tables.Journal, JournalId, through, cancellationToken);
    }

    /// <summary>
    /// A usage log's index matters for records within the retry window (a retried message is recognised by it) and the
    /// clock skew: older ones are no longer told (a retry that old is refused anyway, and a new activation reads them).
    /// </summary>
    private List<(long Position, UsageRecord Record)> Unexpired(List<(long Position, UsageRecord Record)> untold)
    {
        var horizon = clock.UtcNow - options.Value.RetryWindow - options.Value.MaxClockSkew;
        return untold.FindAll(u => u.Record.At >= horizon);
    }

    /// <summary>
    /// Tells each app-day's usage log the records filed into its partition (one call per partition, a few at once) and
    /// answers those whose usage log timed out. A usage log that does not answer is not waited for, so filing, and
    /// everything that waits for it, never stalls on a silo that membership has not yet declared dead. One that
    /// refused or failed the call is gone or going, and its next activation reads the partition, which holds these
    /// records; one that timed out may be alive and only slow, and would keep an index that misses them (and answer a
    /// retried message as new, found by the fault simulator): its records are told again in the next passes.
    /// </summary>
    private async Task<List<(long Position, UsageRecord Record)>> TellUsageLogsAsync(List<(long Position, UsageRecord Record)> records, CancellationToken cancellationToken)
    {
        var untold = new List<(long Position, UsageRecord Record)>();
        await Parallel.ForEachAsync(
            records.GroupBy(r => UsageLogKey.For(r.Record.AppId, DateOnly.FromDateTime(r.Record.At.UtcDateTime)), StringComparer.Ordinal),
            new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken },
            async (partition, ct) =>
            {
                try
                {
                    await grains.GetGrain<IUsageLogGrain>(partition.Key).Filed([.. partition.Select(p => p.Record)]).WaitAsync(TellTimeout, ct);
                }
                catch (TimeoutException e) when (!ct.IsCancellationRequested)
                {
                    // Alive but slow (a busy silo): it would keep an index that misses these records. Told again.
                    LogTellTimedOut(logger, e, partition.Key, partition.Count());
                    lock (untold)
                        untold.AddRange(partition);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    // Gone or going (its silo died or stops, its activation failed): the next one reads the partition.
                    LogTellFailed(logger, e, partition.Key, partition.Count());
                }
            });
        return untold;
    }

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

    public void Dispose()
    {
        _stopping.Dispose();
        _wake.Dispose();
        _filing?.Dispose();
        _journal?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Usage log {UsageLog} did not take {Records} records filed into its partition in time; they are told again in the next pass")]
    private static partial void LogTellTimedOut(ILogger logger, Exception exception, string usageLog, int records);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Usage log {UsageLog} was not told of {Records} records filed into its partition; its next activation reads them there")]
    private static partial void LogTellFailed(ILogger logger, Exception exception, string usageLog, int records);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Journal {JournalId}: a filing pass failed; its entries stay queued for the next")]
    private static partial void LogFilingFailed(ILogger logger, Exception exception, string journalId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Journal {JournalId}: {Records} filed records could not be told to their usage logs before shutdown; the journal is left for a survivor's recovery")]
    private static partial void LogLeftForRecovery(ILogger logger, string journalId, int records);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Journal {JournalId}: filing at shutdown failed; a survivor will file it")]
    private static partial void LogStopFilingFailed(ILogger logger, Exception exception, string journalId);
}
