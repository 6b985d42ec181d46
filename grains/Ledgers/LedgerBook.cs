using Azure;
using Azure.Data.Tables;

namespace Billing.Ledgers;

/// <summary>One line of a posting: an amount for one balance of the book.</summary>
public sealed record Leg(string Account, LedgerEntryKind Kind, decimal AmountUsd);

/// <summary>
/// A change asked of a book: one or more legs applied together or not at all (a charge split between an app's
/// paid and free balances is one posting, C4). <see cref="IdempotencyKey"/> makes a retried posting a replay.
/// </summary>
public sealed record Posting(
    IReadOnlyList<Leg> Legs,
    DateTimeOffset At,
    string Cause,
    string? Reason = null,
    string? IdempotencyKey = null,
    string? Reference = null)
{
    public static Posting OneLeg(string account, LedgerEntryKind kind, decimal amountUsd, DateTimeOffset at, string cause, string? reason = null, string? idempotencyKey = null, string? reference = null) =>
        new([new Leg(account, kind, amountUsd)], at, cause, reason, idempotencyKey, reference);
}

/// <summary>
/// A posting as a journaled book hands it to the silo journal: its entries, numbered and balanced by the book's owner,
/// and when it was posted (the owner's clock), which tells a reloading book how far back to look for idempotency keys.
/// </summary>
public sealed record JournaledPosting(string BookId, DateTimeOffset PostedAt, string? IdempotencyKey, IReadOnlyList<LedgerEntry> Entries);

public enum PostingStatus
{
    /// <summary>Appended now.</summary>
    Applied = 0,

    /// <summary>The idempotency key was posted before: <see cref="PostingResult.Entries"/> are the first posting's entries.</summary>
    Replayed = 1,

    /// <summary>A leg would take its balance below zero (C6); nothing was written.</summary>
    Insufficient = 2,
}

public sealed record PostingResult(PostingStatus Status, IReadOnlyList<LedgerEntry> Entries)
{
    public decimal AmountOf(string account) => Entries.Where(e => e.Account == account).Sum(e => e.AmountUsd);
}

/// <summary>
/// A set of balances (accounts) with their append-only ledgers in one table partition, persisted with group
/// commit (C6, C7). Postings that arrive while a write is in flight go together into the next entity-group
/// transaction, with the head row (every balance and its last sequence number) in the same transaction. So:
/// a stored balance always equals the sum of its stored entries; a posting is acknowledged only once durable;
/// a busy book costs one storage write per batch, not per posting; and the legs of one posting (a split
/// charge) commit atomically.
/// </summary>
/// <remarks>
/// Owned by one grain activation, which must be reentrant for batching to happen. The head row's ETag makes a
/// second (zombie) writer fail instead of overwriting. After a storage failure whose outcome is unknown the
/// book is <see cref="IsFaulted"/>: the owner deactivates and the next activation reloads the truth, where the
/// idempotency markers turn the callers' retries into replays.
/// <para>
/// Journaled (<see cref="LoadJournaledAsync"/>): the book writes no table row itself. Each posting is numbered and
/// balanced in memory at once and handed to the silo journal, which group-commits it with every other app's postings
/// and usage records of the moment; the posting is acknowledged when the journal has committed it, and the silo's
/// filer writes the same rows a table-written book would (<c>Billing.Journal.LedgerFiler</c>). The owner loads the
/// book only after every journal that may hold its earlier postings is filed, and no append ever fails except when
/// this silo was declared dead, so the numbering in memory never forks from what is filed. Idempotency keys posted
/// within <c>keyLookback</c> are reloaded with the book and kept in memory, so a retried posting of that window is a
/// replay without a read.
/// </para>
/// </remarks>
public sealed class LedgerBook
{
    /// <summary>Azure's limit on the actions of one entity-group transaction.</summary>
    private const int MaxActionsPerTransaction = 100;

    /// <summary>Idempotency keys answered from memory; older keys are answered from their stored markers.</summary>
    private const int RecentKeyCapacity = 4096;

    private readonly TableClient _table;
    private readonly string _partitionKey;
    private readonly object _gate = new();
    private readonly Queue<Pending> _queue = new();
    private readonly Dictionary<string, Pending> _queuedByKey = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<LedgerEntry>> _recent = new(StringComparer.Ordinal);
    private readonly Queue<string> _recentOrder = new();
    private readonly Dictionary<string, decimal> _balances = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _lastSeqs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, decimal> _reservedDebits = new(StringComparer.Ordinal);
    private ETag _headETag;
    private bool _headExists;
    private Task? _flushing;

    private readonly TimeSpan _commitWindow;

    private readonly Billing.Telemetry.BillingMetrics? _metrics;

    // Journaled books only (null otherwise): the journal, the owner's clock, how long keys are kept, and since when every
    // key posted is known in memory.
    private Func<JournaledPosting, Task<long>>? _journal;
    private Func<DateTimeOffset> _now = () => DateTimeOffset.UtcNow;
    private TimeSpan _keyLookback;
    private DateTimeOffset _keysKnownSince = DateTimeOffset.MaxValue;
    private readonly Queue<(string Key, DateTimeOffset PostedAt)> _recentByTime = new();

    private LedgerBook(TableClient table, string bookId, TimeSpan commitWindow, Billing.Telemetry.BillingMetrics? metrics)
    {
        _table = table;
        _metrics = metrics;
        _commitWindow = commitWindow;
        BookId = bookId;
        _partitionKey = LedgerTable.PartitionKey(bookId);
    }

    public string BookId { get; }

    public bool IsFaulted { get; private set; }

    /// <summary>Journaled books: the journal position of the last posting committed (0 before any).</summary>
    public long LastPosition { get; private set; }

    /// <param name="commitWindow">How long a first posting waits for others to join its transaction (zero: only those of the same moment).</param>
    /// <param name="metrics">Where each commit's size and duration are recorded (as log "ledger"); none when null.</param>
    public static async Task<LedgerBook> LoadAsync(TableClient table, string bookId, TimeSpan commitWindow = default, Billing.Telemetry.BillingMetrics? metrics = null, CancellationToken cancellationToken = default)
    {
        var book = new LedgerBook(table, bookId, commitWindow, metrics);
        var head = await table.GetEntityIfExistsAsync<TableEntity>(book._partitionKey, LedgerTable.HeadRowKey, cancellationToken: cancellationToken);
        if (head.HasValue && head.Value is { } row)
        {
            book._headExists = true;
            book._headETag = row.ETag;
            foreach (var (account, balance, lastSeq) in LedgerTable.ReadHead(row))
            {
                book._balances[account] = balance;
                book._lastSeqs[account] = lastSeq;
            }
        }

        return book;
    }

    /// <summary>
    /// Loads a journaled book (see the remarks). The caller guarantees that every journal that may hold earlier postings
    /// of this book has been filed; <paramref name="keyLookback"/> is how far back a retried posting may reach.
    /// </summary>
    public static async Task<LedgerBook> LoadJournaledAsync(
        TableClient table, string bookId, Func<JournaledPosting, Task<long>> journal, Func<DateTimeOffset> now, TimeSpan keyLookback,
        Billing.Telemetry.BillingMetrics? metrics = null, CancellationToken cancellationToken = default)
    {
        var book = await LoadAsync(table, bookId, TimeSpan.Zero, metrics, cancellationToken);
        book._journal = journal;
        book._now = now;
        book._keyLookback = keyLookback;
        var since = now() - keyLookback;
        book._keysKnownSince = since;
        var recent = new List<(LedgerEntry Entry, DateTimeOffset PostedAt)>();
        foreach (var (account, lastSeq) in book._lastSeqs)
            recent.AddRange(await LedgerTable.ReadPostedSinceAsync(table, bookId, account, lastSeq, since, cancellationToken));
        foreach (var posting in recent.Where(r => r.Entry.IdempotencyKey is not null).GroupBy(r => r.Entry.IdempotencyKey!, StringComparer.Ordinal).OrderBy(g => g.Min(r => r.PostedAt)))
            book.Remember(posting.Key, [.. posting.Select(r => r.Entry).OrderBy(e => e.Account, StringComparer.Ordinal)], posting.Min(r => r.PostedAt));
        return book;
    }

    /// <summary>The durable balance of <paramref name="account"/>: the sum of its stored entries.</summary>
    public decimal Balance(string account)
    {
        lock (_gate)
            return _balances.GetValueOrDefault(account);
    }

    /// <summary>What a new debit of <paramref name="account"/> may take: the durable balance less debits waiting to be written.</summary>
    public decimal Available(string account)
    {
        lock (_gate)
            return _balances.GetValueOrDefault(account) + _reservedDebits.GetValueOrDefault(account);
    }

    /// <summary>
    /// Appends <paramref name="posting"/> once it is durable. A leg that would take its balance below zero refuses
    /// the whole posting without a write (C6); a posting whose idempotency key was seen before answers the first
    /// posting's entries.
    /// </summary>
    /// <param name="firstPostedNotBefore">
    /// Journaled books: the caller knows that an earlier posting of the same key, if any, was posted at or after this time
    /// (a billing session's charge is posted after its message was sent). When the book knows every key since then, a
    /// key it does not hold is new and no marker is read; otherwise (and when null) a key it does not hold is looked up.
    /// </param>
    public async Task<PostingResult> PostAsync(Posting posting, DateTimeOffset? firstPostedNotBefore = null)
    {
        ArgumentNullException.ThrowIfNull(posting);
        if (posting.Legs.Count == 0 || posting.Legs.Select(l => l.Account).Distinct(StringComparer.Ordinal).Count() != posting.Legs.Count)
            throw new ArgumentException("A posting has at least one leg and at most one per account.", nameof(posting));
        if (IsFaulted)
            throw new InvalidOperationException($"Ledger book {BookId} must be reloaded after a failed write.");
        if (_journal is not null)
            return await PostToJournalAsync(posting, firstPostedNotBefore);

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

            if (joined is null)
                insufficient = posting.Legs.Any(l => l.AmountUsd < 0 && AvailableUnlocked(l.Account) + l.AmountUsd < 0);

            pending = new Pending(posting);
            if (joined is null && !insufficient)
            {
                _queue.Enqueue(pending);
                if (posting.IdempotencyKey is { } k)
                    _queuedByKey[k] = pending;
                Reserve(posting, +1);
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
            if (posting.IdempotencyKey is { } key && await ReadMarkedEntriesAsync(key) is { } stored)
                return new PostingResult(PostingStatus.Replayed, Remember(key, stored));
            return new PostingResult(PostingStatus.Insufficient, []);
        }

        return await pending.Completion.Task;
    }

    private async Task<PostingResult> PostToJournalAsync(Posting posting, DateTimeOffset? firstPostedNotBefore)
    {
        if (posting.IdempotencyKey is { } key)
        {
            if (Known(key) is { } known)
                return await known;
            if (firstPostedNotBefore is not { } notBefore || notBefore <= _keysKnownSince)
            {
                // Posted by an earlier activation, maybe: filed by now (the book loads after its journals are filed).
                if (await ReadMarkedEntriesAsync(key) is { } stored)
                    return new PostingResult(PostingStatus.Replayed, Remember(key, stored, _now()));
                if (Known(key) is { } postedMeanwhile)
                    return await postedMeanwhile;
            }
        }

        Pending pending;
        Task<long> appended;
        IReadOnlyList<LedgerEntry> entries;
        lock (_gate)
        {
            if (posting.Legs.Any(l => l.AmountUsd < 0 && _balances.GetValueOrDefault(l.Account) + l.AmountUsd < 0))
                return new PostingResult(PostingStatus.Insufficient, []);
            var posted = new List<LedgerEntry>(posting.Legs.Count);
            foreach (var leg in posting.Legs)
            {
                var seq = _lastSeqs[leg.Account] = _lastSeqs.GetValueOrDefault(leg.Account) + 1;
                var balance = _balances[leg.Account] = _balances.GetValueOrDefault(leg.Account) + leg.AmountUsd;
                posted.Add(new LedgerEntry(seq, leg.Kind, leg.AmountUsd, balance, posting.At, posting.Cause, posting.Reason, posting.IdempotencyKey, posting.Reference, leg.Account));
            }

            entries = posted;
            pending = new Pending(posting);
            if (posting.IdempotencyKey is { } k)
                _queuedByKey[k] = pending;
            // Appended under the lock: the journal commits postings in the order they were numbered.
            appended = _journal!(new JournaledPosting(BookId, _now(), posting.IdempotencyKey, entries));
        }

        try
        {
            var position = await appended;
            lock (_gate)
            {
                LastPosition = Math.Max(LastPosition, position);
                if (posting.IdempotencyKey is { } k)
                {
                    _queuedByKey.Remove(k);
                    Remember(k, entries, _now());
                }
            }

            var result = new PostingResult(PostingStatus.Applied, entries);
            pending.Completion.TrySetResult(result);
            return result;
        }
        catch (Exception e)
        {
            // Only a journal sealed by a recovering silo (this silo was declared dead) or shut down refuses an append:
            // the numbering in memory is no longer what will be filed, so nothing more is posted from it.
            lock (_gate)
            {
                IsFaulted = true;
                if (posting.IdempotencyKey is { } k)
                    _queuedByKey.Remove(k);
            }

            pending.Completion.TrySetException(e);
            throw;
        }
    }

    /// <summary>A journaled posting of <paramref name="key"/> answered from memory, or one in flight to join; null when unknown here.</summary>
    private Task<PostingResult>? Known(string key)
    {
        lock (_gate)
        {
            if (_recent.TryGetValue(key, out var earlier))
                return Task.FromResult(new PostingResult(PostingStatus.Replayed, earlier));
            if (_queuedByKey.TryGetValue(key, out var queued))
                return JoinAsync(queued.Completion.Task);
            return null;
        }

        static async Task<PostingResult> JoinAsync(Task<PostingResult> first)
        {
            var result = await first;
            return result.Status == PostingStatus.Applied ? result with { Status = PostingStatus.Replayed } : result;
        }
    }

    /// <summary>
    /// The entries an idempotency key produced, from memory (a posting in flight is waited for) or storage; null when it
    /// was never posted.
    /// </summary>
    public async Task<IReadOnlyList<LedgerEntry>?> FindAsync(string idempotencyKey)
    {
        if (Known(idempotencyKey) is { } known && await known is { Status: not PostingStatus.Insufficient } posted)
            return posted.Entries;
        return await ReadMarkedEntriesAsync(idempotencyKey);
    }

    private decimal AvailableUnlocked(string account) =>
        _balances.GetValueOrDefault(account) + _reservedDebits.GetValueOrDefault(account);

    private void Reserve(Posting posting, int sign)
    {
        foreach (var leg in posting.Legs.Where(l => l.AmountUsd < 0))
            _reservedDebits[leg.Account] = _reservedDebits.GetValueOrDefault(leg.Account) + (sign * leg.AmountUsd);
    }

    private async Task FlushAsync()
    {
        await GroupCommit.GatherAsync(_commitWindow);
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

                batch = [];
                var actions = 1; // the head row
                while (_queue.TryPeek(out var next) && (batch.Count == 0 || actions + next.ActionCount <= MaxActionsPerTransaction))
                {
                    actions += next.ActionCount;
                    batch.Add(_queue.Dequeue());
                }
            }

            await WriteAsync(batch);
        }
    }

    private async Task WriteAsync(List<Pending> batch)
    {
        while (batch.Count > 0)
        {
            var prepared = Prepare(batch);
            try
            {
                var response = await GroupCommit.WriteAsync(_metrics, "ledger", batch.Count, () => _table.SubmitTransactionAsync(prepared.Actions));
                lock (_gate)
                {
                    _headETag = response.Value[^1].Headers.ETag ?? _headETag;
                    _headExists = true;
                    foreach (var (account, balance) in prepared.Balances)
                        _balances[account] = balance;
                    foreach (var (account, seq) in prepared.LastSeqs)
                        _lastSeqs[account] = seq;
                    for (var i = 0; i < batch.Count; i++)
                        Settle(batch[i], new PostingResult(PostingStatus.Applied, prepared.Entries[i]));
                }

                return;
            }
            catch (TableTransactionFailedException e) when (e.Status == 409 && e.FailedTransactionActionIndex is { } failed && prepared.MarkerOwners.TryGetValue(failed, out var duplicate))
            {
                // A marker already exists: that posting was applied before this activation. Answer it with the stored
                // entries and write the rest again (the failed transaction changed nothing).
                var replay = batch[duplicate];
                batch.RemoveAt(duplicate);
                var key = replay.Posting.IdempotencyKey!;
                var stored = await ReadMarkedEntriesAsync(key);
                lock (_gate)
                {
                    if (stored is null)
                        Fail(replay, new InvalidOperationException($"Ledger book {BookId}: marker without entries for key '{key}'."));
                    else
                        Settle(replay, new PostingResult(PostingStatus.Replayed, stored));
                }
            }
            catch (Exception e) when (StorageFailures.IsTransient(e))
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

    private PreparedBatch Prepare(List<Pending> batch)
    {
        Dictionary<string, decimal> balances;
        Dictionary<string, long> seqs;
        ETag headETag;
        bool headExists;
        lock (_gate)
        {
            balances = new(_balances, StringComparer.Ordinal);
            seqs = new(_lastSeqs, StringComparer.Ordinal);
            headETag = _headETag;
            headExists = _headExists;
        }

        var actions = new List<TableTransactionAction>();
        var entries = new List<IReadOnlyList<LedgerEntry>>(batch.Count);
        var markerOwners = new Dictionary<int, int>();
        for (var b = 0; b < batch.Count; b++)
        {
            var p = batch[b].Posting;
            var posted = new List<LedgerEntry>(p.Legs.Count);
            foreach (var leg in p.Legs)
            {
                var seq = seqs[leg.Account] = seqs.GetValueOrDefault(leg.Account) + 1;
                var balance = balances[leg.Account] = balances.GetValueOrDefault(leg.Account) + leg.AmountUsd;
                var entry = new LedgerEntry(seq, leg.Kind, leg.AmountUsd, balance, p.At, p.Cause, p.Reason, p.IdempotencyKey, p.Reference, leg.Account);
                posted.Add(entry);
                actions.Add(new TableTransactionAction(TableTransactionActionType.Add, LedgerTable.ToEntity(_partitionKey, entry)));
            }

            if (p.IdempotencyKey is { } key)
            {
                markerOwners[actions.Count] = b;
                actions.Add(new TableTransactionAction(TableTransactionActionType.Add, LedgerTable.Marker(_partitionKey, key, posted)));
            }

            entries.Add(posted);
        }

        var head = LedgerTable.Head(_partitionKey, balances, seqs);
        actions.Add(headExists
            ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, head, headETag)
            : new TableTransactionAction(TableTransactionActionType.Add, head));
        return new PreparedBatch(actions, entries, balances, seqs, markerOwners);
    }

    private async Task<IReadOnlyList<LedgerEntry>?> ReadMarkedEntriesAsync(string idempotencyKey)
    {
        var marker = await _table.GetEntityIfExistsAsync<TableEntity>(_partitionKey, LedgerTable.MarkerRowKey(idempotencyKey));
        if (!marker.HasValue || marker.Value is not { } row)
            return null;
        var entries = new List<LedgerEntry>();
        foreach (var (account, seq) in LedgerTable.ReadMarker(row))
        {
            var entry = await _table.GetEntityIfExistsAsync<TableEntity>(_partitionKey, LedgerTable.EntryRowKey(account, seq));
            if (!entry.HasValue || entry.Value is null)
                return null;
            entries.Add(LedgerTable.ToEntry(entry.Value));
        }

        return entries;
    }

    private void Settle(Pending pending, PostingResult result)
    {
        Release(pending);
        if (pending.Posting.IdempotencyKey is { } key)
            Remember(key, result.Entries);
        pending.Completion.TrySetResult(result);
    }

    private void Fail(Pending pending, Exception e)
    {
        Release(pending);
        pending.Completion.TrySetException(e);
    }

    private void Release(Pending pending)
    {
        Reserve(pending.Posting, -1);
        if (pending.Posting.IdempotencyKey is { } key)
            _queuedByKey.Remove(key);
    }

    private IReadOnlyList<LedgerEntry> Remember(string key, IReadOnlyList<LedgerEntry> entries)
    {
        if (_journal is not null)
            return Remember(key, entries, _now());
        lock (_gate)
        {
            if (_recent.TryAdd(key, entries))
            {
                _recentOrder.Enqueue(key);
                if (_recentOrder.Count > RecentKeyCapacity)
                    _recent.Remove(_recentOrder.Dequeue());
            }

            return entries;
        }
    }

    /// <summary>
    /// Journaled books keep every key posted within the lookback (not a fixed number): a retry within the retry window
    /// must be recognised without a read, however busy the app. Memory follows the postings of the last lookback.
    /// </summary>
    private IReadOnlyList<LedgerEntry> Remember(string key, IReadOnlyList<LedgerEntry> entries, DateTimeOffset postedAt)
    {
        lock (_gate)
        {
            if (_recent.TryAdd(key, entries))
                _recentByTime.Enqueue((key, postedAt));
            var horizon = _now() - _keyLookback;
            while (_recentByTime.TryPeek(out var oldest) && oldest.PostedAt < horizon)
            {
                _recentByTime.Dequeue();
                _recent.Remove(oldest.Key);
                if (oldest.PostedAt > _keysKnownSince)
                    _keysKnownSince = oldest.PostedAt;
            }

            return entries;
        }
    }

    private sealed record PreparedBatch(
        List<TableTransactionAction> Actions,
        List<IReadOnlyList<LedgerEntry>> Entries,
        Dictionary<string, decimal> Balances,
        Dictionary<string, long> LastSeqs,
        Dictionary<int, int> MarkerOwners);

    private sealed class Pending(Posting posting)
    {
        public Posting Posting { get; } = posting;

        public int ActionCount { get; } = posting.Legs.Count + (posting.IdempotencyKey is null ? 0 : 1);

        public TaskCompletionSource<PostingResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
