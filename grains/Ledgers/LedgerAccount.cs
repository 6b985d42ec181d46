using Azure;
using Azure.Data.Tables;

namespace Billing.Ledgers;

/// <summary>
/// One balance and its append-only ledger (C6, C7), persisted with group commit: postings that arrive while a
/// write is in flight are written together in the next entity-group transaction, with the head row (balance,
/// next sequence) in the same transaction. So the stored balance always equals the sum of the stored entries,
/// a posting is acknowledged only once it is durable, and a busy balance costs one storage write per batch
/// rather than per posting.
/// </summary>
/// <remarks>
/// Owned by one grain activation. The grain must be reentrant for batching to happen (callers wait for the
/// flush while others join the next one); the head row's ETag makes a second, zombie writer fail instead of
/// overwriting. After a storage failure whose outcome is unknown the account is <see cref="IsFaulted"/>: the
/// owning grain deactivates and the next activation reloads the truth, where idempotency markers turn the
/// callers' retries into replays.
/// </remarks>
public sealed class LedgerAccount
{
    /// <summary>Each posting is an entry and an idempotency marker; with the head that is at most 99 of Azure's 100 actions.</summary>
    private const int MaxPostingsPerTransaction = 49;

    /// <summary>Idempotency keys answered from memory; older keys are answered from their stored markers.</summary>
    private const int RecentKeyCapacity = 4096;

    private readonly TableClient _table;
    private readonly string _partitionKey;
    private readonly object _gate = new();
    private readonly Queue<Pending> _queue = new();
    private readonly Dictionary<string, Pending> _queuedByKey = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LedgerEntry> _recent = new(StringComparer.Ordinal);
    private readonly Queue<string> _recentOrder = new();
    private ETag _headETag;
    private bool _headExists;
    private long _lastSeq;
    private decimal _balance;
    private decimal _reservedDebits;
    private Task? _flushing;

    private LedgerAccount(TableClient table, string ledgerId)
    {
        _table = table;
        LedgerId = ledgerId;
        _partitionKey = LedgerTable.PartitionKey(ledgerId);
    }

    public string LedgerId { get; }

    /// <summary>The durable balance: the sum of every stored entry.</summary>
    public decimal Balance
    {
        get { lock (_gate) return _balance; }
    }

    /// <summary>What a new debit may take: the durable balance less debits waiting to be written.</summary>
    public decimal Available
    {
        get { lock (_gate) return _balance + _reservedDebits; }
    }

    public long LastSeq
    {
        get { lock (_gate) return _lastSeq; }
    }

    public bool IsFaulted { get; private set; }

    public static async Task<LedgerAccount> LoadAsync(TableClient table, string ledgerId, CancellationToken cancellationToken = default)
    {
        var account = new LedgerAccount(table, ledgerId);
        var head = await table.GetEntityIfExistsAsync<TableEntity>(account._partitionKey, LedgerTable.HeadRowKey, cancellationToken: cancellationToken);
        if (head.HasValue && head.Value is { } row)
        {
            account._headExists = true;
            account._headETag = row.ETag;
            account._balance = LedgerTable.Money(row.GetString("BalanceUsd"));
            account._lastSeq = row.GetInt64("LastSeq") ?? 0;
        }

        return account;
    }

    /// <summary>
    /// Appends <paramref name="posting"/> once it is durable. A debit that would take the balance below zero is
    /// refused without a write (C6); a posting whose idempotency key was seen before answers the first entry.
    /// </summary>
    public async Task<PostingResult> PostAsync(Posting posting)
    {
        ArgumentNullException.ThrowIfNull(posting);
        if (IsFaulted)
            throw new InvalidOperationException($"Ledger {LedgerId} must be reloaded after a failed write.");

        Pending pending;
        Task<PostingResult>? joined = null;
        var insufficient = false;
        lock (_gate)
        {
            if (posting.IdempotencyKey is { } key)
            {
                if (_recent.TryGetValue(key, out var earlier))
                    return new PostingResult(PostingStatus.Replayed, earlier);
                if (_queuedByKey.TryGetValue(key, out var queued))
                    joined = queued.Completion.Task;
            }

            if (joined is null && posting.AmountUsd < 0 && _balance + _reservedDebits + posting.AmountUsd < 0)
                insufficient = true;

            pending = new Pending(posting);
            if (joined is null && !insufficient)
            {
                _queue.Enqueue(pending);
                if (posting.IdempotencyKey is { } k)
                    _queuedByKey[k] = pending;
                if (posting.AmountUsd < 0)
                    _reservedDebits += posting.AmountUsd;
                _flushing ??= FlushAsync();
            }
        }

        if (joined is not null)
        {
            var first = await joined;
            return first.Status == PostingStatus.Applied ? first with { Status = PostingStatus.Replayed } : first;
        }

        if (insufficient)
        {
            // The key may belong to a posting applied before this activation: replay it rather than refuse it.
            if (posting.IdempotencyKey is { } key && await ReadMarkedEntryAsync(key) is { } stored)
                return new PostingResult(PostingStatus.Replayed, Remember(stored));
            return new PostingResult(PostingStatus.Insufficient, null);
        }

        return await pending.Completion.Task;
    }

    private async Task FlushAsync()
    {
        // Let the callers of this moment join the first transaction: that is the group commit.
        await Task.Yield();
        while (true)
        {
            List<Pending> batch;
            lock (_gate)
            {
                if (_queue.Count == 0)
                {
                    _flushing = null;
                    return;
                }

                batch = new List<Pending>(Math.Min(_queue.Count, MaxPostingsPerTransaction));
                while (batch.Count < MaxPostingsPerTransaction && _queue.TryDequeue(out var next))
                    batch.Add(next);
            }

            await WriteAsync(batch);
        }
    }

    private async Task WriteAsync(List<Pending> batch)
    {
        while (batch.Count > 0)
        {
            var (actions, entries, balanceAfter, lastSeq) = Prepare(batch);
            try
            {
                var response = await _table.SubmitTransactionAsync(actions);
                lock (_gate)
                {
                    _headETag = response.Value[^1].Headers.ETag ?? _headETag;
                    _headExists = true;
                    _balance = balanceAfter;
                    _lastSeq = lastSeq;
                    for (var i = 0; i < batch.Count; i++)
                        Settle(batch[i], new PostingResult(PostingStatus.Applied, entries[i]));
                }

                return;
            }
            catch (TableTransactionFailedException e) when (e.Status == 409 && DuplicateIndex(actions, e) is { } duplicate)
            {
                // A marker already exists: that posting was applied before this activation. Answer it with the
                // stored entry and write the rest again (the failed transaction changed nothing).
                var replay = batch[duplicate];
                batch.RemoveAt(duplicate);
                var stored = await ReadMarkedEntryAsync(replay.Posting.IdempotencyKey!);
                lock (_gate)
                {
                    if (stored is null)
                        Fail(replay, new InvalidOperationException($"Ledger {LedgerId}: marker without entry for key '{replay.Posting.IdempotencyKey}'."));
                    else
                        Settle(replay, new PostingResult(PostingStatus.Replayed, stored));
                }
            }
            catch (Exception e) when (e is RequestFailedException or TableTransactionFailedException or IOException or TimeoutException or OperationCanceledException)
            {
                // The outcome is unknown (a timeout may have committed): stop and let the next activation reload.
                lock (_gate)
                {
                    IsFaulted = true;
                    foreach (var pending in batch)
                        Fail(pending, e);
                    while (_queue.TryDequeue(out var queued))
                        Fail(queued, e);
                }

                return;
            }
        }
    }

    private (List<TableTransactionAction> Actions, List<LedgerEntry> Entries, decimal BalanceAfter, long LastSeq) Prepare(List<Pending> batch)
    {
        decimal balance;
        long seq;
        ETag headETag;
        bool headExists;
        lock (_gate)
        {
            balance = _balance;
            seq = _lastSeq;
            headETag = _headETag;
            headExists = _headExists;
        }

        var actions = new List<TableTransactionAction>(batch.Count * 2 + 1);
        var entries = new List<LedgerEntry>(batch.Count);
        foreach (var pending in batch)
        {
            var p = pending.Posting;
            seq++;
            balance += p.AmountUsd;
            var entry = new LedgerEntry(seq, p.Kind, p.AmountUsd, balance, p.At, p.Cause, p.Reason, p.IdempotencyKey, p.Reference);
            entries.Add(entry);
            actions.Add(new TableTransactionAction(TableTransactionActionType.Add, LedgerTable.ToEntity(_partitionKey, entry)));
            if (p.IdempotencyKey is { } key)
                actions.Add(new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(_partitionKey, LedgerTable.MarkerRowKey(key)) { ["Seq"] = seq }));
        }

        var head = new TableEntity(_partitionKey, LedgerTable.HeadRowKey) { ["BalanceUsd"] = LedgerTable.Money(balance), ["LastSeq"] = seq };
        actions.Add(headExists
            ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, head, headETag)
            : new TableTransactionAction(TableTransactionActionType.Add, head));
        return (actions, entries, balance, seq);
    }

    /// <summary>The batch index of the posting whose marker insert failed, if the failure was a marker's.</summary>
    private static int? DuplicateIndex(List<TableTransactionAction> actions, TableTransactionFailedException e)
    {
        if (e.FailedTransactionActionIndex is not { } failed || failed >= actions.Count - 1)
            return null;
        if (!actions[failed].Entity.RowKey.StartsWith('k'))
            return null;
        var postingIndex = actions.Take(failed).Count(a => a.Entity.RowKey.StartsWith('e'));
        return postingIndex - 1;
    }

    private async Task<LedgerEntry?> ReadMarkedEntryAsync(string idempotencyKey)
    {
        var marker = await _table.GetEntityIfExistsAsync<TableEntity>(_partitionKey, LedgerTable.MarkerRowKey(idempotencyKey));
        if (!marker.HasValue || marker.Value?.GetInt64("Seq") is not { } seq)
            return null;
        var entry = await _table.GetEntityIfExistsAsync<TableEntity>(_partitionKey, LedgerTable.EntryRowKey(seq));
        return entry.HasValue && entry.Value is { } row ? LedgerTable.ToEntry(row) : null;
    }

    private void Settle(Pending pending, PostingResult result)
    {
        Release(pending);
        if (result.Entry is { } entry)
            Remember(entry);
        pending.Completion.TrySetResult(result);
    }

    private void Fail(Pending pending, Exception e)
    {
        Release(pending);
        pending.Completion.TrySetException(e);
    }

    private void Release(Pending pending)
    {
        if (pending.Posting.AmountUsd < 0)
            _reservedDebits -= pending.Posting.AmountUsd;
        if (pending.Posting.IdempotencyKey is { } key)
            _queuedByKey.Remove(key);
    }

    private LedgerEntry Remember(LedgerEntry entry)
    {
        lock (_gate)
        {
            if (entry.IdempotencyKey is not { } key || _recent.ContainsKey(key))
                return entry;
            _recent[key] = entry;
            _recentOrder.Enqueue(key);
            if (_recentOrder.Count > RecentKeyCapacity)
                _recent.Remove(_recentOrder.Dequeue());
            return entry;
        }
    }

    private sealed class Pending(Posting posting)
    {
        public Posting Posting { get; } = posting;

        public TaskCompletionSource<PostingResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
