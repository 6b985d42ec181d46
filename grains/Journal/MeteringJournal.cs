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
/// busy one writes few, large rows. Each batch is one row inserted (no transaction, no other row touched): the cheapest
/// durable write storage offers, and the one every decision waits on.
/// </para>
/// <para>
/// Fencing by slot: a batch's row is keyed by the position of its first entry and inserted only if absent, so the next
/// free key is the journal's end. A silo that takes the journal over (its owner was declared dead) seals it by
/// inserting a seal row at that key (<see cref="SealAsync"/>); the owner's next insert then finds the key taken, so a
/// zombie that still runs can never append after the takeover. Its callers get a <see cref="JournalSealedException"/>,
/// never an acknowledgement. Trimming always keeps the newest row, so the end stays visible to a sealer.
/// </para>
/// <para>
/// Layout (one partition per journal): the head row <c>head</c> (created with the journal; sealed, sealed by, the end
/// once sealed, filed), and one row per batch keyed by the position of its first entry (zero-padded), holding its
/// entries length-prefixed in up to <see cref="MaxDataPropertiesPerRow"/> binary properties of at most
/// <see cref="MaxChunkBytes"/> each (<c>Data</c>, <c>Data1</c>, ...), or a seal row (no entries, <c>Sealed</c>).
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

    /// <summary>12 properties of 60 KB: 720 KB of entries, under Azure's 1 MiB per entity with the row's other properties.</summary>
    public const int MaxDataPropertiesPerRow = 12;

    private const string DataProperty = "Data";
    private const string WriteIdProperty = "WriteId";
    private const string SealedProperty = "Sealed";
    private const string SealedByProperty = "SealedBy";

    private readonly TableClient _table;
    private readonly BillingMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly List<Pending> _queue = [];
    private long _nextPosition;
    private readonly CancellationTokenSource _stopping = new();
    private bool _writing;
    private Exception? _stopped;

    private MeteringJournal(TableClient table, string journalId, BillingMetrics metrics, ILogger logger)
    {
        _table = table;
        JournalId = journalId;
        _nextPosition = 1;
        _metrics = metrics;
        _logger = logger;
    }

    public string JournalId { get; }

    /// <summary>
    /// Told of every committed batch (its first position and entries, in order, each with what its appender said it
    /// encodes) before the batch's callers are answered, one batch at a time: the silo's filer keeps the committed
    /// entries from here rather than reading them back, and files the objects themselves rather than decoding the bytes.
    /// </summary>
    public Action<long, IReadOnlyList<(ReadOnlyMemory<byte> Bytes, object? Decoded)>>? Committed { get; set; }

    /// <summary>Entries appended so far (committed or not): the position the last of them has once committed.</summary>
    public long Appended { get; private set; }

    /// <summary>Batches written so far, one storage request each (what group commit saves is the ratio of entries to these).</summary>
    public long Commits { get; private set; }

    /// <summary>Why the journal stopped writing (fenced, shut down, or a failure it could not settle); null while it writes.</summary>
    public Exception? StoppedBy
    {
        get
        {
            lock (_gate)
                return _stopped;
        }
    }

    /// <summary>
    /// Starts a new journal. Its id names one silo incarnation (e.g. the silo address and generation), so it never exists
    /// yet: finding it is a configuration error, and this refuses to write into another silo's journal.
    /// </summary>
    public static async Task<MeteringJournal> CreateAsync(TableClient table, string journalId, BillingMetrics metrics, ILogger logger, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(journalId);
        var head = new TableEntity(journalId, HeadRowKey) { ["NextPosition"] = 1L, [SealedProperty] = false };
        try
        {
            await table.AddEntityAsync(head, cancellationToken);
            return new MeteringJournal(table, journalId, metrics, logger);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            throw new InvalidOperationException($"Journal '{journalId}' already exists: each silo incarnation starts its own.", e);
        }
    }

    /// <summary>
    /// Appends one entry; the task completes when the entry is durable and answers its position. A write that fails is
    /// settled from its row (committed with its reply lost, or written again), so storage faults delay callers but never
    /// fail them. Fails with <see cref="JournalSealedException"/> once another silo has sealed the journal.
    /// <paramref name="decoded"/>, when given, is the immutable object the bytes encode: handed to <see cref="Committed"/>
    /// with them, never stored.
    /// </summary>
    public Task<long> AppendAsync(ReadOnlyMemory<byte> entry, object? decoded = null)
    {
        if (entry.Length + sizeof(int) > MaxChunkBytes)
            throw new ArgumentException($"A journal entry is at most {MaxChunkBytes - sizeof(int)} bytes.", nameof(entry));
        var pending = new Pending(entry, decoded);
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

    /// <summary>As many queued entries as fit one row: up to <see cref="MaxDataPropertiesPerRow"/> properties of entries.</summary>
    private List<Pending> TakeBatch()
    {
        var taken = 0;
        var properties = 1;
        var bytes = 0;
        foreach (var pending in _queue)
        {
            var size = pending.Entry.Length + sizeof(int);
            if (bytes + size > MaxChunkBytes)
            {
                if (properties == MaxDataPropertiesPerRow)
                    break;
                properties++;
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
        // The same id on every attempt: a row found in this slot after an unknown outcome is recognised as this batch's.
        var writeId = Guid.NewGuid().ToString("N");
        var row = Row(first, batch, writeId);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await GroupCommit.WriteAsync(_metrics, "journal", batch.Count, () => _table.AddEntityAsync(row));
                Commit(batch, first);
                return;
            }
            catch (Exception e) when (StorageFailures.IsTransient(e))
            {
                // A failed or timed-out insert may have committed (the reply lost), and inserting it again finds the key
                // taken (409): the slot says what happened. Only this silo writes batches, so the slot holds this batch,
                // a seal (the journal was taken over), or nothing.
                if (await ReadSlotAsync(first) is not { } slot)
                {
                    Stop(new OperationCanceledException($"Journal '{JournalId}' stopped with a write unresolved.", e), batch);
                    return;
                }

                if (slot.Found && slot.WriteId == writeId)
                {
                    Commit(batch, first);
                    return;
                }

                if (slot.Found && slot.Sealed)
                {
                    Fence(slot.SealedBy, batch);
                    return;
                }

                if (slot.Found)
                {
                    var broken = new InvalidOperationException($"Journal '{JournalId}' holds another writer's entries at position {first}.");
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

    private void Commit(List<Pending> batch, long first)
    {
        _nextPosition = first + batch.Count;
        Commits++;
        Committed?.Invoke(first, batch.ConvertAll(p => (p.Entry, p.Decoded)));
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
    /// What the row at <paramref name="position"/> holds, read until storage answers (the write it settles cannot be
    /// settled without it); null when the journal is shut down first.
    /// </summary>
    private async Task<(bool Found, string? WriteId, bool Sealed, string? SealedBy)?> ReadSlotAsync(long position)
    {
        for (var attempt = 1; !_stopping.IsCancellationRequested; attempt++)
        {
            try
            {
                var row = await _table.GetEntityIfExistsAsync<TableEntity>(JournalId, RowKeyOf(position), [WriteIdProperty, SealedProperty, SealedByProperty]);
                return row.HasValue && row.Value is { } found
                    ? (true, found.GetString(WriteIdProperty), found.GetBoolean(SealedProperty) == true, found.GetString(SealedByProperty))
                    : (false, null, false, null);
            }
            catch (Exception e) when (StorageFailures.IsTransient(e))
            {
                await Task.Delay(RetryDelay(attempt), _stopping.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        return null;
    }

    private static TimeSpan RetryDelay(int attempt) => TimeSpan.FromMilliseconds(Math.Min(1000, 20 * (1 << Math.Min(attempt, 6))));

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

    /// <summary>One batch's row: its entries length-prefixed, packed into as few binary properties as they fit.</summary>
    private TableEntity Row(long firstPosition, List<Pending> batch, string writeId)
    {
        var row = new TableEntity(JournalId, RowKeyOf(firstPosition)) { ["Count"] = batch.Count, [WriteIdProperty] = writeId };
        var property = 0;
        var start = 0;
        var bytes = 0;
        for (var i = 0; i <= batch.Count; i++)
        {
            var size = i < batch.Count ? batch[i].Entry.Length + sizeof(int) : 0;
            if (i == batch.Count || (bytes + size > MaxChunkBytes && i > start))
            {
                row[DataPropertyName(property++)] = Pack(batch, start, i, bytes);
                start = i;
                bytes = 0;
            }

            bytes += size;
        }

        return row;
    }

    private static byte[] Pack(List<Pending> batch, int start, int end, int bytes)
    {
        var data = new byte[bytes];
        var offset = 0;
        for (var i = start; i < end; i++)
        {
            var entry = batch[i].Entry.Span;
            BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(offset), entry.Length);
            entry.CopyTo(data.AsSpan(offset + sizeof(int)));
            offset += sizeof(int) + entry.Length;
        }

        return data;
    }

    private static string DataPropertyName(int index) => index == 0 ? DataProperty : DataProperty + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static string RowKeyOf(long position) => position.ToString("D19", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Seals a journal for recovery: after this returns, its owner can append nothing more, and the entries below the
    /// answered position are all it will ever hold. Idempotent: sealing a sealed journal answers the same position.
    /// </summary>
    /// <remarks>
    /// The seal row takes the first free key, after the newest row (which trimming always keeps). Inserting it fails if
    /// the owner appended there meanwhile, and it is tried again after that row. Should the owner have appended, filed
    /// and trimmed past the key between the look and the insert (a seal row then sits between its rows), the rows after
    /// the seal show it, and it is sealed again after them.
    /// </remarks>
    public static async Task<long> SealAsync(TableClient table, string journalId, string sealedBy, ILogger logger, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var newest = await NewestRowAsync(table, journalId, afterPosition: 0, cancellationToken);
            long end;
            if (newest is { Sealed: true } seal)
            {
                end = seal.First;
            }
            else
            {
                end = newest is { } row
                    ? row.First + row.Count
                    : (await table.GetEntityAsync<TableEntity>(journalId, HeadRowKey, cancellationToken: cancellationToken)).Value.GetInt64("NextPosition") ?? 1L;
                try
                {
                    await table.AddEntityAsync(new TableEntity(journalId, RowKeyOf(end)) { ["Count"] = 0, [SealedProperty] = true, [SealedByProperty] = sealedBy }, cancellationToken);
                }
                catch (RequestFailedException e) when (e.Status == 409)
                {
                    continue; // the owner appended there meanwhile: seal after it
                }

                if (await NewestRowAsync(table, journalId, afterPosition: end, cancellationToken) is not null)
                    continue; // rows after the seal: the owner was further on than the rows showed
                LogSealed(logger, journalId, sealedBy, end);
            }

            // For readers of the head (recovery, operators): sealed, by whom, and where the journal ends.
            await table.UpsertEntityAsync(new TableEntity(journalId, HeadRowKey) { [SealedProperty] = true, [SealedByProperty] = sealedBy, ["NextPosition"] = end }, TableUpdateMode.Merge, cancellationToken);
            return end;
        }
    }

    /// <summary>The newest row after <paramref name="afterPosition"/> (a batch or a seal), or null when there is none.</summary>
    private static async Task<(long First, long Count, bool Sealed)?> NewestRowAsync(TableClient table, string journalId, long afterPosition, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {journalId} and RowKey gt {RowKeyOf(afterPosition)} and RowKey lt {HeadRowKey}");
        (long, long, bool)? newest = null;
        await foreach (var row in table.QueryAsync<TableEntity>(filter, select: ["RowKey", "Count", SealedProperty], cancellationToken: cancellationToken))
            newest = (long.Parse(row.RowKey, System.Globalization.CultureInfo.InvariantCulture), row.GetInt32("Count") ?? 0, row.GetBoolean(SealedProperty) == true);
        return newest;
    }

    /// <summary>The entries at positions after <paramref name="afterPosition"/>, in order (for filing projections).</summary>
    public static async IAsyncEnumerable<(long Position, ReadOnlyMemory<byte> Entry)> ReadAsync(
        TableClient table, string journalId, long afterPosition, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {journalId} and RowKey lt {HeadRowKey}");
        await foreach (var row in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            var position = long.Parse(row.RowKey, System.Globalization.CultureInfo.InvariantCulture);
            var count = row.GetInt32("Count") ?? 0;
            for (var property = 0; count > 0 && row.GetBinary(DataPropertyName(property)) is { } data; property++)
            {
                for (var offset = 0; offset < data.Length && count > 0; count--, position++)
                {
                    var length = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(offset));
                    if (position > afterPosition)
                        yield return (position, data.AsMemory(offset + sizeof(int), length));
                    offset += sizeof(int) + length;
                }
            }
        }
    }

    /// <summary>
    /// Deletes the rows whose every entry is at or below <paramref name="throughPosition"/> (filed into the projections),
    /// except the newest row and seal rows: the newest shows a sealer where the journal ends, and a seal must stay where
    /// it is. Safe to repeat; a row that straddles the position stays until a later trim.
    /// </summary>
    public static async Task TrimAsync(TableClient table, string journalId, long throughPosition, CancellationToken cancellationToken = default)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {journalId} and RowKey lt {HeadRowKey}");
        var deletes = new List<TableTransactionAction>();
        string? previous = null; // filed and not a seal: deleted once a newer row is seen
        await foreach (var row in table.QueryAsync<TableEntity>(filter, select: ["RowKey", "Count", SealedProperty], cancellationToken: cancellationToken))
        {
            if (previous is not null)
            {
                deletes.Add(new(TableTransactionActionType.Delete, new TableEntity(journalId, previous), ETag.All));
                if (deletes.Count == 100)
                {
                    await table.SubmitTransactionAsync(deletes, cancellationToken);
                    deletes.Clear();
                }
            }

            var first = long.Parse(row.RowKey, System.Globalization.CultureInfo.InvariantCulture);
            if (first + (row.GetInt32("Count") ?? 0) - 1 > throughPosition)
            {
                previous = null;
                break;
            }

            previous = row.GetBoolean(SealedProperty) == true ? null : row.RowKey;
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

    private sealed class Pending(ReadOnlyMemory<byte> entry, object? decoded)
    {
        public ReadOnlyMemory<byte> Entry { get; } = entry;

        public object? Decoded { get; } = decoded;

        public TaskCompletionSource<long> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>The journal was sealed by a recovering silo: this silo was declared dead and may append nothing more.</summary>
public sealed class JournalSealedException(string journalId, string? sealedBy)
    : Exception($"Journal '{journalId}' was sealed by {sealedBy ?? "another silo"}: this silo was declared dead and may not append.")
{
    public string JournalId { get; } = journalId;
}
