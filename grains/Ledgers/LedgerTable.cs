using System.Globalization;
using Azure.Data.Tables;
using Billing.Storage.Shared;

namespace Billing.Ledgers;

/// <summary>
/// The layout of ledger books in the <c>Ledgers</c> table. One partition per book holds, so that one entity-group
/// transaction can change them together:
/// <list type="bullet">
/// <item><c>head</c>: every balance of the book and its last sequence number (its ETag guards against a second writer);</item>
/// <item><c>e{account}_{seq:D19}</c>: the entries of one balance, append-only, in order;</item>
/// <item><c>k{key}</c>: one marker per idempotency key, naming the entries it produced.</item>
/// </list>
/// Amounts are stored as invariant decimal strings: Azure Tables have no decimal type and a double would not be exact.
/// </summary>
public static class LedgerTable
{
    public const string TableName = "Ledgers";
    public const string HeadRowKey = "head";
    private const string PostedAtProperty = "PostedAt";
    private const string EntryPrefix = "e";
    private const string KeyPrefix = "k";
    private const string BalancePrefix = "Bal_";
    private const string SeqPrefix = "Seq_";

    public static string PartitionKey(string bookId) => TableKeys.Escape(bookId);

    public static string EntryRowKey(string account, long seq) => $"{EntryPrefix}{account}_{seq.ToString("D19", CultureInfo.InvariantCulture)}";

    public static string MarkerRowKey(string idempotencyKey) => KeyPrefix + TableKeys.Bounded(idempotencyKey);

    public static string Money(decimal amount) => amount.ToString(CultureInfo.InvariantCulture);

    public static decimal Money(string? stored) => stored is null ? 0m : decimal.Parse(stored, NumberStyles.Number, CultureInfo.InvariantCulture);

    public static TableEntity Head(string partitionKey, IReadOnlyDictionary<string, decimal> balances, IReadOnlyDictionary<string, long> lastSeqs)
    {
        var head = new TableEntity(partitionKey, HeadRowKey);
        foreach (var (account, balance) in balances)
        {
            head[BalancePrefix + account] = Money(balance);
            head[SeqPrefix + account] = lastSeqs.GetValueOrDefault(account);
        }

        return head;
    }

    public static IEnumerable<(string Account, decimal Balance, long LastSeq)> ReadHead(TableEntity head) =>
        head.Keys.Where(k => k.StartsWith(BalancePrefix, StringComparison.Ordinal)).Select(k =>
        {
            var account = k[BalancePrefix.Length..];
            return (account, Money(head.GetString(k)), head.GetInt64(SeqPrefix + account) ?? 0);
        });

    public static TableEntity Marker(string partitionKey, string idempotencyKey, IEnumerable<LedgerEntry> entries) => new(partitionKey, MarkerRowKey(idempotencyKey))
    {
        ["Entries"] = string.Join(';', entries.Select(e => $"{e.Account}:{e.Seq.ToString(CultureInfo.InvariantCulture)}")),
    };

    public static IEnumerable<(string Account, long Seq)> ReadMarker(TableEntity marker) =>
        (marker.GetString("Entries") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries).Select(part =>
        {
            var colon = part.LastIndexOf(':');
            return (part[..colon], long.Parse(part.AsSpan(colon + 1), CultureInfo.InvariantCulture));
        });

    /// <param name="postedAt">When the book's owner posted the entry (journaled books): how far back a reloading book looks for idempotency keys.</param>
    public static TableEntity ToEntity(string partitionKey, LedgerEntry entry, DateTimeOffset? postedAt = null) => new(partitionKey, EntryRowKey(entry.Account, entry.Seq))
    {
        [PostedAtProperty] = postedAt,
        ["Account"] = entry.Account,
        ["Seq"] = entry.Seq,
        ["Kind"] = entry.Kind.ToString(),
        ["AmountUsd"] = Money(entry.AmountUsd),
        ["BalanceAfterUsd"] = Money(entry.BalanceAfterUsd),
        ["At"] = entry.At,
        ["Cause"] = entry.Cause,
        ["Reason"] = entry.Reason,
        ["IdempotencyKey"] = entry.IdempotencyKey,
        ["Reference"] = entry.Reference,
    };

    public static LedgerEntry ToEntry(TableEntity e) => new(
        e.GetInt64("Seq") ?? 0,
        Enum.Parse<LedgerEntryKind>(e.GetString("Kind")),
        Money(e.GetString("AmountUsd")),
        Money(e.GetString("BalanceAfterUsd")),
        e.GetDateTimeOffset("At") ?? default,
        e.GetString("Cause") ?? "",
        e.GetString("Reason"),
        e.GetString("IdempotencyKey"),
        e.GetString("Reference"),
        e.GetString("Account") ?? "");

    /// <summary>Entries of one balance after <paramref name="afterSeq"/> in order, at most <paramref name="limit"/>.</summary>
    public static async Task<LedgerPage> ReadPageAsync(TableClient table, string bookId, string account, long afterSeq, int limit, CancellationToken cancellationToken = default)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {PartitionKey(bookId)} and RowKey gt {EntryRowKey(account, afterSeq)} and RowKey lt {AccountUpperBound(account)}");
        var entries = new List<LedgerEntry>(limit);
        await foreach (var entity in table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(limit + 1, 1000), cancellationToken: cancellationToken))
        {
            if (entries.Count == limit)
                return new LedgerPage(entries, entries[^1].Seq);
            entries.Add(ToEntry(entity));
        }

        return new LedgerPage(entries, null);
    }

    /// <summary>Every entry of one balance, streamed in order: for audits and for the invariant balance = sum of ledger.</summary>
    public static async IAsyncEnumerable<LedgerEntry> ReadAllAsync(TableClient table, string bookId, string account, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {PartitionKey(bookId)} and RowKey gt {EntryRowKey(account, 0)} and RowKey lt {AccountUpperBound(account)}");
        await foreach (var entity in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
            yield return ToEntry(entity);
    }

    /// <summary>
    /// The entries of one balance posted at or after <paramref name="since"/>, read from its last entry backwards in
    /// growing steps (the newest entries are the last rows of the account's range). An entry with no posting time
    /// counts as posted at its own time. A journaled book reloads them so that a retry of anything it posted within the
    /// retry window is recognised from memory, without a read per posting.
    /// </summary>
    public static async Task<List<(LedgerEntry Entry, DateTimeOffset PostedAt)>> ReadPostedSinceAsync(TableClient table, string bookId, string account, long lastSeq, DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        var found = new List<(LedgerEntry, DateTimeOffset)>();
        var upper = lastSeq;
        for (var step = 256L; upper > 0; step *= 4)
        {
            var lower = Math.Max(0, upper - step);
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {PartitionKey(bookId)} and RowKey gt {EntryRowKey(account, lower)} and RowKey le {EntryRowKey(account, upper)}");
            var oldest = DateTimeOffset.MaxValue;
            await foreach (var row in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
            {
                var entry = ToEntry(row);
                var postedAt = row.GetDateTimeOffset(PostedAtProperty) ?? entry.At;
                oldest = postedAt < oldest ? postedAt : oldest;
                if (postedAt >= since)
                    found.Add((entry, postedAt));
            }

            if (oldest < since)
                break;
            upper = lower;
        }

        return found;
    }

    /// <summary>The balances of a book as stored in its head row (zero for a book never written).</summary>
    public static async Task<IReadOnlyDictionary<string, decimal>> ReadBalancesAsync(TableClient table, string bookId, CancellationToken cancellationToken = default)
    {
        var head = await table.GetEntityIfExistsAsync<TableEntity>(PartitionKey(bookId), HeadRowKey, cancellationToken: cancellationToken);
        return head.HasValue && head.Value is { } row
            ? ReadHead(row).ToDictionary(h => h.Account, h => h.Balance, StringComparer.Ordinal)
            : new Dictionary<string, decimal>(StringComparer.Ordinal);
    }

    // '`' follows '_' in ASCII: every entry key of the account sorts below "e{account}`".
    private static string AccountUpperBound(string account) => $"{EntryPrefix}{account}`";
}
