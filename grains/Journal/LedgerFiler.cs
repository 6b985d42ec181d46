using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;
using Billing.Ledgers;
using Billing.Telemetry;
using Microsoft.Extensions.Logging;

namespace Billing.Journal;

/// <summary>
/// Files ledger postings from a journal into their books' partitions of the <c>Ledgers</c> table: the entries, the
/// idempotency markers and the head row (every balance and its last sequence number), in entity-group transactions
/// conditioned on the head's ETag, exactly the rows a book written directly would hold.
/// </summary>
/// <remarks>
/// <para>
/// The book's owner numbered and balanced every entry when it posted it (<see cref="LedgerBook"/> in journal mode), so
/// filing is idempotent by sequence number: an entry at or below the head's last sequence of its account is already
/// filed and skipped. Filing the same journal twice (a retry after an unknown outcome, a recovering silo filing a dead
/// one's journal while that silo was itself filing it) changes nothing.
/// </para>
/// <para>
/// Each entry is checked against the head before it is written: its sequence must follow the head's and its balance
/// must be the head's balance plus its amount. A posting that does not is refused (the pass fails and is retried, and
/// the error is logged): balance = sum of ledger is kept by construction, not assumed (C6, C7).
/// </para>
/// </remarks>
public sealed partial class LedgerFiler(TableClient ledgers, BillingMetrics metrics, ILogger logger, FilingLimits? limits = null) : IDisposable
{
    /// <summary>Azure's limit on the actions of one entity-group transaction.</summary>
    private const int MaxActionsPerTransaction = 100;

    private const int MaxCachedBooks = 20_000;

    private readonly ConcurrentDictionary<string, BookState> _books = new(StringComparer.Ordinal);
    private readonly FilingPass _pass = new((limits ?? FilingLimits.Default).Parallelism);

    /// <summary>Files <paramref name="postings"/> (in journal order); safe to repeat.</summary>
    public Task FileAsync(IReadOnlyList<JournaledPosting> postings, CancellationToken cancellationToken) =>
        postings.Count == 0
            ? Task.CompletedTask
            : _pass.RunAsync(
                () =>
                {
                    if (_books.Count > MaxCachedBooks)
                        _books.Clear();
                    return postings.GroupBy(p => p.BookId, StringComparer.Ordinal).ToList();
                },
                (book, ct) => FileBookAsync(book.Key, [.. book], ct),
                cancellationToken);

    /// <summary>Another writer moved the head (412), or the outcome is unknown: the head is reloaded and what is still missing filed.</summary>
    private Task FileBookAsync(string bookId, List<JournaledPosting> postings, CancellationToken cancellationToken)
    {
        var partitionKey = LedgerTable.PartitionKey(bookId);
        return FilingPass.FileWithRetriesAsync(
            async () => await WriteAsync(_books.TryGetValue(partitionKey, out var cached) ? cached : await LoadAsync(partitionKey, cancellationToken), postings, cancellationToken),
            () => _books.TryRemove(partitionKey, out _),
            (e, attempt) => LogRetry(logger, e, bookId, attempt));
    }

    private async Task WriteAsync(BookState state, List<JournaledPosting> postings, CancellationToken cancellationToken)
    {
        var actions = new List<TableTransactionAction>();
        var balances = new Dictionary<string, decimal>(state.Balances, StringComparer.Ordinal);
        var seqs = new Dictionary<string, long>(state.LastSeqs, StringComparer.Ordinal);
        var items = 0;
        foreach (var posting in postings)
        {
            var fresh = posting.Entries.Where(e => e.Seq > seqs.GetValueOrDefault(e.Account)).ToList();
            if (fresh.Count == 0)
                continue;
            if (actions.Count + fresh.Count + 2 > MaxActionsPerTransaction)
            {
                await CommitAsync(state, actions, balances, seqs, items, cancellationToken);
                actions.Clear();
                items = 0;
            }

            foreach (var entry in fresh)
            {
                var expectedSeq = seqs.GetValueOrDefault(entry.Account) + 1;
                var expectedBalance = balances.GetValueOrDefault(entry.Account) + entry.AmountUsd;
                if (entry.Seq != expectedSeq || entry.BalanceAfterUsd != expectedBalance)
                {
                    var broken = new InvalidOperationException(
                        $"Ledger book {posting.BookId}, account {entry.Account}: entry {entry.Seq} (balance {entry.BalanceAfterUsd}) does not follow the head (seq {expectedSeq - 1}, balance {expectedBalance - entry.AmountUsd}).");
                    LogBroken(logger, broken, posting.BookId);
                    throw broken;
                }

                seqs[entry.Account] = entry.Seq;
                balances[entry.Account] = entry.BalanceAfterUsd;
                actions.Add(new(TableTransactionActionType.UpsertReplace, LedgerTable.ToEntity(state.PartitionKey, entry, posting.PostedAt)));
            }

            if (posting.IdempotencyKey is { } key)
                actions.Add(new(TableTransactionActionType.UpsertReplace, LedgerTable.Marker(state.PartitionKey, key, posting.Entries)));
            items++;
        }

        if (actions.Count > 0)
            await CommitAsync(state, actions, balances, seqs, items, cancellationToken);
    }

    private async Task CommitAsync(BookState state, List<TableTransactionAction> actions, Dictionary<string, decimal> balances, Dictionary<string, long> seqs, int items, CancellationToken cancellationToken)
    {
        var head = LedgerTable.Head(state.PartitionKey, balances, seqs);
        var all = new List<TableTransactionAction>(actions)
        {
            state.ETag is { } etag
                ? new(TableTransactionActionType.UpdateReplace, head, etag)
                : new(TableTransactionActionType.Add, head),
        };
        var response = await GroupCommit.WriteAsync(metrics, "ledger-filing", items, () => ledgers.SubmitTransactionAsync(all, cancellationToken));
        state.ETag = response.Value[^1].Headers.ETag;
        state.Balances = new(balances, StringComparer.Ordinal);
        state.LastSeqs = new(seqs, StringComparer.Ordinal);
        _books[state.PartitionKey] = state;
    }

    private async Task<BookState> LoadAsync(string partitionKey, CancellationToken cancellationToken)
    {
        var row = await ledgers.GetEntityIfExistsAsync<TableEntity>(partitionKey, LedgerTable.HeadRowKey, cancellationToken: cancellationToken);
        var state = new BookState(partitionKey);
        if (row.HasValue && row.Value is { } head)
        {
            state.ETag = head.ETag;
            foreach (var (account, balance, lastSeq) in LedgerTable.ReadHead(head))
            {
                state.Balances[account] = balance;
                state.LastSeqs[account] = lastSeq;
            }
        }

        return state;
    }

    public void Dispose() => _pass.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Filing into ledger book {BookId} failed (attempt {Attempt}); reloading its head and filing again")]
    private static partial void LogRetry(ILogger logger, Exception exception, string bookId, int attempt);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Ledger book {BookId}: a journaled posting does not follow the stored head; nothing of it is filed")]
    private static partial void LogBroken(ILogger logger, Exception exception, string bookId);

    private sealed class BookState(string partitionKey)
    {
        public string PartitionKey { get; } = partitionKey;

        public ETag? ETag { get; set; }

        public Dictionary<string, decimal> Balances { get; set; } = new(StringComparer.Ordinal);

        public Dictionary<string, long> LastSeqs { get; set; } = new(StringComparer.Ordinal);
    }
}
