using System.Globalization;
using Azure.Data.Tables;
using Billing.Storage.Shared;

namespace Billing.Ledgers;

/// <summary>
/// The layout of ledgers in the <c>Ledgers</c> table. One partition per ledger holds, so that a single entity
/// group transaction can change them together:
/// <list type="bullet">
/// <item><c>head</c>: the balance and the next sequence number (its ETag guards against a second writer);</item>
/// <item><c>e{seq:D19}</c>: the entries, append-only, in order;</item>
/// <item><c>k{key}</c>: one marker per idempotency key, naming the entry it produced.</item>
/// </list>
/// </summary>
public static class LedgerTable
{
    public const string TableName = "Ledgers";
    public const string HeadRowKey = "head";
    private const string EntryPrefix = "e";
    private const string KeyPrefix = "k";

    public static string PartitionKey(string ledgerId) => TableKeys.Escape(ledgerId);

    public static string EntryRowKey(long seq) => EntryPrefix + seq.ToString("D19", CultureInfo.InvariantCulture);

    public static string MarkerRowKey(string idempotencyKey) => KeyPrefix + TableKeys.Escape(idempotencyKey);

    public static string Money(decimal amount) => amount.ToString(CultureInfo.InvariantCulture);

    public static decimal Money(string? stored) => stored is null ? 0m : decimal.Parse(stored, NumberStyles.Number, CultureInfo.InvariantCulture);

    public static TableEntity ToEntity(string partitionKey, LedgerEntry entry) => new(partitionKey, EntryRowKey(entry.Seq))
    {
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
        e.GetString("Reference"));

    /// <summary>Entries after <paramref name="afterSeq"/> in order, at most <paramref name="limit"/>.</summary>
    public static async Task<LedgerPage> ReadPageAsync(TableClient table, string ledgerId, long afterSeq, int limit, CancellationToken cancellationToken = default)
    {
        var pk = PartitionKey(ledgerId);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {pk} and RowKey gt {EntryRowKey(afterSeq)} and RowKey lt {"f"}");
        var entries = new List<LedgerEntry>(limit);
        await foreach (var entity in table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(limit + 1, 1000), cancellationToken: cancellationToken))
        {
            if (entries.Count == limit)
                return new LedgerPage(entries, entries[^1].Seq);
            entries.Add(ToEntry(entity));
        }

        return new LedgerPage(entries, null);
    }

    /// <summary>Every entry of a ledger, streamed; for audits and for the invariant balance = sum of ledger.</summary>
    public static async IAsyncEnumerable<LedgerEntry> ReadAllAsync(TableClient table, string ledgerId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {PartitionKey(ledgerId)} and RowKey gt {EntryPrefix} and RowKey lt {"f"}");
        await foreach (var entity in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
            yield return ToEntry(entity);
    }
}
