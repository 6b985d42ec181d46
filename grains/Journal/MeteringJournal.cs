using System.Buffers.Binary;
using Azure;
using Azure.Data.Tables;
using Billing.Telemetry;
using Microsoft.Extensions.Logging;

namespace Billing.Journal;

/// <summary>
/// A silo's durable log of metering entries (usage records, session charges, free-credit draws): the one writer that
/// every app and end user of the silo shares, so that a decision for any app rides in the same storage transaction as
/// the decisions of all the others (SPEC section 11: durable writes are shared across tenants). Entries are opaque
/// bytes; positions are dense and ordered, so projections can be filed from it idempotently by position.
/// </summary>
/// <remarks>
/// <para>
/// Batching adapts to load with no fixed wait: an entry appended while no write is in flight is written at once; the
/// entries appended while a write is in flight form the next batch. So a quiet silo pays one round trip per entry and a
/// busy one writes few, large transactions.
/// </para>
/// <para>
/// Fencing: each transaction rewrites the journal's head row conditioned on its ETag. A silo that takes the journal
/// over (its owner was declared dead) first seals the head (<see cref="SealAsync"/>); the owner's next transaction then
/// fails on the stale ETag, so a zombie that still runs can never append after the takeover. Its callers get a
/// <see cref="JournalSealedException"/>, never an acknowledgement.
/// </para>
/// <para>
/// Layout (one partition per journal): the head row <c>head</c> (next position, sealed, sealed by), and one row per chunk
/// of entries, keyed by the position of its first entry (zero-padded), holding the entries length-prefixed in one binary
/// property of at most <see cref="MaxChunkBytes"/>.
/// </para>
/// <para>
/// Owned by the silo's <see cref="SiloJournal"/>, which files the projections from it; <see cref="DeadSiloRecovery"/>
/// files the journals of dead silos.
/// </para>
/// </remarks>
public sealed partial class MeteringJournal : IDisposable
{
    public const string HeadRowKey = "head";

    /// <summary>Head property: every entry of the journal is in the projections (set by its owner at a graceful stop, or by a recoverer).</summary>
    public const string FiledProperty = "Filed";

    /// <summary>Under Azure's 64 KiB binary property limit.</summary>
    public const int MaxChunkBytes = 60_000;

    /// <summary>Binary travels base64 in the request body: 40 chunks of 60 KB make ~3.2 MB, under Azure's 4 MiB per transaction.</summary>
    private const int MaxChunksPerTransaction = 40;

    private readonly TableClient _table;
    private readonly BillingMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly List<Pending> _queue = [];
    private ETag _headETag;
    private long _nextPosition;
    private readonly CancellationTokenSource _stopping = new();
    private bool _writing;
    private Exception? _stopped;

    private MeteringJournal(TableClient table, string journalId, ETag headETag, BillingMetrics metrics, ILogger logger)
    {
        _table = table;
        JournalId = journalId;
        _headETag = headETag;
        _nextPosition = 1;
        _metrics = metrics;
        _logger = logger;
    }

    public string JournalId { get; }

    /// <summary>
    /// Told of every committed batch (its first position and entries, in order) before the batch's callers are
    /// answered, one batch at a time: the silo's filer keeps the committed entries from here rather than reading them back.
    /// </summary>
    public Action<long, IReadOnlyList<ReadOnlyMemory<byte>>>? Committed { get; set; }

    /// <summary>Entries appended so far (committed or not): the position the last of them has once committed.</summary>
    public long Appended { get; private set; }

    /// <summary>Storage transactions written so far (what group commit saves is the ratio of entries to these).</summary>
    public long Commits { get; private set; }

    /// <summary>
    /// Starts a new journal. Its id names one silo incarnation (e.g. the silo address and generation), so it never exists
    /// yet: finding it is a configuration error, and this refuses to write into another silo's journal.
    /// </summary>
    public static async Task<MeteringJournal> CreateAsync(TableClient table, string journalId, BillingMetrics metrics, ILogger logger, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(journalId);
        var head = new TableEntity(journalId, HeadRowKey) { ["NextPosition"] = 1L, ["Sealed"] = false };
        try
        {
            var response = await table.AddEntityAsync(head, cancellationToken);
            return new MeteringJournal(table, journalId, response.Headers.ETag ?? default, metrics, logger);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            throw new InvalidOperationException($"Journal '{journalId}' already exists: each silo incarnation starts its own.", e);
        }
    }

    /// <summary>
    /// Appends one entry; the task completes when the entry is durable and answers its position. A write that fails is
    /// settled from the head row (committed with its reply lost, or written again), so storage faults delay callers
    /// but never fail them. Fails with <see cref="JournalSealedException"/> once another silo has sealed the journal.
    /// </summary>
    public Task<long> AppendAsync(ReadOnlyMemory<byte> entry)
    {
        if (entry.Length + sizeof(int) > MaxChunkBytes)
            throw new ArgumentException($"A journal entry is at most {MaxChunkBytes - sizeof(int)} bytes.", nameof(entry));
        var pending = new Pending(entry);
        bool start;
        lock (_gate)
        {
            if (_stopped is not null)
                return Task.FromException<long>(_stopped);
            _queue.Add(pending);
            Appended++;
            start = !_writing;
            _writing = true;
        }

        if (start)
            _ = Task.Run(WriteLoopAsync);
        return pending.Completion.Task;
    }

    private async Task WriteLoopAsync()
    {
        while (true)
        {
            List<Pending> batch;
            lock (_gate)
            {
                if (_queue.Count == 0 || _stopped is not null)
                {
                    _writing = false;
                    return;
                }

                batch = TakeBatch();
            }

            try
            {
                await WriteAsync(batch);
            }
            catch (Exception e)
            {
                // Not a storage failure (those are settled in WriteAsync): a bug. Its callers and every later one fail
                // loudly rather than wait for a writer that is gone.
                LogWriteFailed(_logger, e, JournalId, batch.Count);
                Stop(e, batch);
            }
        }
    }

    /// <summary>As many queued entries as fit one transaction: up to <see cref="MaxChunksPerTransaction"/> chunks.</summary>
    private List<Pending> TakeBatch()
    {
        var taken = 0;
        var chunks = 1;
        var bytes = 0;
        foreach (var pending in _queue)
        {
            var size = pending.Entry.Length + sizeof(int);
            if (bytes + size > MaxChunkBytes)
            {
                if (chunks == MaxChunksPerTransaction)
                    break;
                chunks++;
                bytes = 0;
            }

            bytes += size;
            taken++;
        }

        var batch = _queue.GetRange(0, taken);
        _queue.RemoveRange(0, taken);
        return batch;
    }

    private async Task WriteAsync(List<Pending> batch)
    {
        var first = _nextPosition;
        var next = first + batch.Count;
        var actions = new List<TableTransactionAction>();
        var chunkStart = 0;
        var chunkBytes = 0;
        for (var i = 0; i <= batch.Count; i++)
        {
            var size = i < batch.Count ? batch[i].Entry.Length + sizeof(int) : 0;
            if (i == batch.Count || (chunkBytes + size > MaxChunkBytes && i > chunkStart))
            {
                actions.Add(new(TableTransactionActionType.Add, Chunk(first + chunkStart, batch, chunkStart, i - chunkStart, chunkBytes)));
                chunkStart = i;
                chunkBytes = 0;
            }

            chunkBytes += size;
        }

        // Conditioned on the head as this silo last wrote it: of several attempts of the same batch at most one commits,
        // and none commits after a recovering silo sealed the journal.
        actions.Add(new(TableTransactionActionType.UpdateReplace, new TableEntity(JournalId, HeadRowKey) { ["NextPosition"] = next, ["Sealed"] = false }, _headETag));
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var response = await GroupCommit.WriteAsync(_metrics, "journal", batch.Count, () => _table.SubmitTransactionAsync(actions));
                Commit(batch, first, response.Value[^1].Headers.ETag ?? _headETag);
                return;
            }
            catch (Exception e) when (IsStorageFailure(e))
            {
                // A failed or timed-out write may have committed (the reply lost), and a retry of a committed one fails on
                // its chunk rows (409) or the head's ETag (412): the head row says what happened. Only this silo moves
                // NextPosition, so it is either still `first` (nothing written) or `next` (this batch committed).
                if (await ReadHeadAsync() is not { } head)
                {
                    Stop(new OperationCanceledException($"Journal '{JournalId}' stopped with a write unresolved.", e), batch);
                    return;
                }

                if (head.NextPosition == next)
                {
                    Commit(batch, first, head.ETag);
                    if (head.Sealed)
                        Fence(head.SealedBy, []);
                    return;
                }

                if (head.Sealed)
                {
                    Fence(head.SealedBy, batch);
                    return;
                }

                if (head.NextPosition != first)
                {
                    var broken = new InvalidOperationException($"Journal '{JournalId}' holds position {head.NextPosition}, expected {first} or {next}: another writer appended.");
                    LogWriteFailed(_logger, broken, JournalId, batch.Count);
                    Stop(broken, batch);
                    return;
                }

                // Not written: the same batch again, after a pause that grows while storage keeps failing.
                LogRetrying(_logger, e, JournalId, batch.Count, attempt);
                await Task.Delay(RetryDelay(attempt), _stopping.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (_stopping.IsCancellationRequested)
                {
                    Stop(new OperationCanceledException($"Journal '{JournalId}' stopped with a write unresolved."), batch);
                    return;
                }
            }
        }
    }

    private void Commit(List<Pending> batch, long first, ETag headETag)
    {
        _headETag = headETag;
        _nextPosition = first + batch.Count;
        Commits++;
        Committed?.Invoke(first, batch.ConvertAll(p => p.Entry));
        for (var i = 0; i < batch.Count; i++)
            batch[i].Completion.TrySetResult(first + i);
    }

    /// <summary>The head was sealed by a recovering silo: this silo was declared dead; no caller is acknowledged again.</summary>
    private void Fence(string? sealedBy, List<Pending> batch)
    {
        LogFenced(_logger, JournalId, sealedBy ?? "unknown", batch.Count);
        Stop(new JournalSealedException(JournalId, sealedBy), batch);
    }

    /// <summary>
    /// The head row as stored, read until storage answers (the write it settles cannot be settled without it); null when
    /// the journal is shut down first.
    /// </summary>
    private async Task<(long NextPosition, bool Sealed, string? SealedBy, ETag ETag)?> ReadHeadAsync()
    {
        for (var attempt = 1; !_stopping.IsCancellationRequested; attempt++)
        {
            try
            {
                var head = (await _table.GetEntityAsync<TableEntity>(JournalId, HeadRowKey)).Value;
                return (head.GetInt64("NextPosition") ?? 1L, head.GetBoolean("Sealed") == true, head.GetString("SealedBy"), head.ETag);
            }
            catch (Exception e) when (IsStorageFailure(e))
            {
                await Task.Delay(RetryDelay(attempt), _stopping.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        return null;
    }

    private static TimeSpan RetryDelay(int attempt) => TimeSpan.FromMilliseconds(Math.Min(1000, 20 * (1 << Math.Min(attempt, 6))));

    private static bool IsStorageFailure(Exception e) => StorageFailures.IsTransient(e);

    /// <summary>Stops writing: a write in flight is left unresolved (whoever recovers the journal finds what committed) and its callers fail.</summary>
    public void Shutdown() => _stopping.Cancel();

    public void Dispose() => _stopping.Dispose();

    private void Stop(Exception reason, List<Pending> batch)
    {
        List<Pending> rest;
        lock (_gate)
        {
            _stopped = reason;
            rest = [.. _queue];
            _queue.Clear();
        }

        foreach (var pending in batch.Concat(rest))
            pending.Completion.TrySetException(reason);
    }

    private TableEntity Chunk(long firstPosition, List<Pending> batch, int start, int count, int bytes)
    {
        var data = new byte[bytes];
        var offset = 0;
        for (var i = start; i < start + count; i++)
        {
            var entry = batch[i].Entry.Span;
            BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(offset), entry.Length);
            entry.CopyTo(data.AsSpan(offset + sizeof(int)));
            offset += sizeof(int) + entry.Length;
        }

        return new TableEntity(JournalId, RowKeyOf(firstPosition)) { ["Count"] = count, ["Data"] = data };
    }

    public static string RowKeyOf(long position) => position.ToString("D19", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Seals a journal for recovery: after this returns, its owner can append nothing more, and the entries below the
    /// answered position are all it will ever hold. Idempotent: sealing a sealed journal answers the same position.
    /// </summary>
    public static async Task<long> SealAsync(TableClient table, string journalId, string sealedBy, ILogger logger, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var head = (await table.GetEntityAsync<TableEntity>(journalId, HeadRowKey, cancellationToken: cancellationToken)).Value;
            var next = head.GetInt64("NextPosition") ?? 1L;
            if (head.GetBoolean("Sealed") == true)
                return next;
            head["Sealed"] = true;
            head["SealedBy"] = sealedBy;
            try
            {
                await table.UpdateEntityAsync(head, head.ETag, TableUpdateMode.Replace, cancellationToken);
                LogSealed(logger, journalId, sealedBy, next);
                return next;
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
                // The owner committed a batch meanwhile: read the head again and seal after it.
            }
        }
    }

    /// <summary>The entries at positions after <paramref name="afterPosition"/>, in order (for filing projections).</summary>
    public static async IAsyncEnumerable<(long Position, ReadOnlyMemory<byte> Entry)> ReadAsync(
        TableClient table, string journalId, long afterPosition, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {journalId} and RowKey lt {HeadRowKey}");
        await foreach (var row in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            var position = long.Parse(row.RowKey, System.Globalization.CultureInfo.InvariantCulture);
            var data = row.GetBinary("Data");
            var offset = 0;
            for (var i = 0; i < row.GetInt32("Count"); i++, position++)
            {
                var length = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(offset));
                if (position > afterPosition)
                    yield return (position, data.AsMemory(offset + sizeof(int), length));
                offset += sizeof(int) + length;
            }
        }
    }

    /// <summary>
    /// Deletes the chunks whose every entry is at or below <paramref name="throughPosition"/> (filed into the projections).
    /// Safe to repeat; a chunk that straddles the position stays until a later trim.
    /// </summary>
    public static async Task TrimAsync(TableClient table, string journalId, long throughPosition, CancellationToken cancellationToken = default)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {journalId} and RowKey lt {HeadRowKey}");
        var deletes = new List<TableTransactionAction>();
        await foreach (var row in table.QueryAsync<TableEntity>(filter, select: ["RowKey", "Count"], cancellationToken: cancellationToken))
        {
            var first = long.Parse(row.RowKey, System.Globalization.CultureInfo.InvariantCulture);
            if (first + (row.GetInt32("Count") ?? 0) - 1 > throughPosition)
                break;
            deletes.Add(new(TableTransactionActionType.Delete, new TableEntity(journalId, row.RowKey), ETag.All));
            if (deletes.Count == 100)
            {
                await table.SubmitTransactionAsync(deletes, cancellationToken);
                deletes.Clear();
            }
        }

        if (deletes.Count > 0)
            await table.SubmitTransactionAsync(deletes, cancellationToken);
    }

    /// <summary>Marks a sealed journal filed through <paramref name="next"/> - 1: nobody has to file it again.</summary>
    public static Task<Response> MarkFiledAsync(TableClient table, string journalId, long next, CancellationToken cancellationToken = default) =>
        table.UpdateEntityAsync(new TableEntity(journalId, HeadRowKey) { [FiledProperty] = true, ["FiledThrough"] = next - 1 }, ETag.All, TableUpdateMode.Merge, cancellationToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Journal {JournalId} was sealed by {SealedBy} (this silo was declared dead): {Entries} entries refused, no further appends")]
    private static partial void LogFenced(ILogger logger, string journalId, string sealedBy, int entries);

    [LoggerMessage(Level = LogLevel.Information, Message = "Journal {JournalId} sealed by {SealedBy} for recovery; it ends before position {NextPosition}")]
    private static partial void LogSealed(ILogger logger, string journalId, string sealedBy, long nextPosition);

    [LoggerMessage(Level = LogLevel.Error, Message = "Journal {JournalId}: a write of {Entries} entries cannot be settled; the journal stops")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, string journalId, int entries);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Journal {JournalId}: a write of {Entries} entries failed and was not committed; writing it again (attempt {Attempt})")]
    private static partial void LogRetrying(ILogger logger, Exception exception, string journalId, int entries, int attempt);

    private sealed class Pending(ReadOnlyMemory<byte> entry)
    {
        public ReadOnlyMemory<byte> Entry { get; } = entry;

        public TaskCompletionSource<long> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>The journal was sealed by a recovering silo: this silo was declared dead and may append nothing more.</summary>
public sealed class JournalSealedException(string journalId, string? sealedBy)
    : Exception($"Journal '{journalId}' was sealed by {sealedBy ?? "another silo"}: this silo was declared dead and may not append.")
{
    public string JournalId { get; } = journalId;
}
