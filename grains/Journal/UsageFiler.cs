using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;
using Billing.Metering;
using Billing.Telemetry;
using Billing.Usage;
using Microsoft.Extensions.Logging;

namespace Billing.Journal;

/// <summary>
/// Files usage records from a journal into the per-app-day partitions of the <c>Usage</c> table (exports, trends, caps
/// read them there): chunk rows and the totals row, as before, plus one watermark row per journal (<c>w{journal}</c>)
/// holding the last journal position filed into that partition, in the same transaction as what it files. So filing
/// the same entries again (a retry after an unknown outcome, a recovering silo filing a dead one's journal while it
/// was itself filing) skips what is already there: idempotent by position, never a record twice.
/// </summary>
/// <remarks>
/// Several silos file into the same partition (each its own journal, and recoverers): the totals row's ETag orders
/// them; a writer that loses reloads the partition's state and writes again. The state of recently filed partitions is
/// cached so a busy app-day costs one transaction per filing pass, no read.
/// </remarks>
public sealed partial class UsageFiler(TableClient usage, BillingMetrics metrics, ILogger logger, FilingLimits? limits = null) : IDisposable
{
    /// <summary>At most 40: 40 chunks of 60 KB travel as 3.2 MB of base64, under Azure's 4 MiB, with the totals and watermark rows.</summary>
    private readonly int _maxChunksPerTransaction = Math.Clamp((limits ?? FilingLimits.Default).TransactionChunks, 1, 40);

    private const int MaxCachedPartitions = 20_000;

    private const string WatermarkPrefix = "w";

    private readonly ConcurrentDictionary<string, PartitionState> _partitions = new(StringComparer.Ordinal);

    /// <summary>One filing pass at a time (the silo's own, or a recovery's): a partition's cached state has one writer here.</summary>
    private readonly FilingPass _pass = new((limits ?? FilingLimits.Default).Parallelism);

    public static string WatermarkRowKey(string journalId) => WatermarkPrefix + journalId;

    /// <summary>Files <paramref name="entries"/> (in position order) of journal <paramref name="journalId"/>; safe to repeat.</summary>
    public Task FileAsync(string journalId, IReadOnlyList<(long Position, UsageRecord Record)> entries, CancellationToken cancellationToken) =>
        _pass.RunAsync(
            () =>
            {
                if (_partitions.Count > MaxCachedPartitions)
                    _partitions.Clear();
                return entries
                    .GroupBy(e => UsageTable.PartitionKey(e.Record.AppId, DateOnly.FromDateTime(e.Record.At.UtcDateTime)), StringComparer.Ordinal)
                    .ToList();
            },
            (group, ct) =>
            {
                var first = group.First().Record;
                return FilePartitionAsync(journalId, group.Key, first.AppId, DateOnly.FromDateTime(first.At.UtcDateTime), [.. group], ct);
            },
            cancellationToken);

    /// <summary>Another filer moved the totals row (412), or the outcome is unknown: the partition is reloaded and what is still missing filed.</summary>
    private Task FilePartitionAsync(string journalId, string partitionKey, string appId, DateOnly day, List<(long Position, UsageRecord Record)> entries, CancellationToken cancellationToken) =>
        FilingPass.FileWithRetriesAsync(
            async () =>
            {
                var state = _partitions.TryGetValue(partitionKey, out var cached) ? cached : await LoadAsync(partitionKey, appId, day, cancellationToken);
                var watermark = state.Watermarks.TryGetValue(journalId, out var w) ? w : await LoadWatermarkAsync(state, journalId, cancellationToken);
                var todo = entries.Where(e => e.Position > watermark).ToList();
                if (todo.Count > 0)
                    await WriteAsync(state, journalId, todo, cancellationToken);
            },
            () => _partitions.TryRemove(partitionKey, out _),
            (e, attempt) => LogRetry(logger, e, partitionKey, attempt));

    private async Task WriteAsync(PartitionState state, string journalId, List<(long Position, UsageRecord Record)> todo, CancellationToken cancellationToken)
    {
        var encoded = todo.ConvertAll(e => (e.Position, e.Record, Bytes: UsageRecordCodec.Encode(e.Record)));
        var start = 0;
        while (start < encoded.Count)
        {
            // One transaction: up to _maxChunksPerTransaction chunks, the totals row and this journal's watermark.
            var chunks = new List<List<(long Position, UsageRecord Record, byte[] Bytes)>>();
            var end = start;
            List<(long, UsageRecord, byte[])>? current = null;
            var bytes = 0;
            for (; end < encoded.Count; end++)
            {
                var size = encoded[end].Bytes.Length;
                if (current is null || bytes + size > UsageTable.MaxChunkBytes)
                {
                    if (chunks.Count == _maxChunksPerTransaction)
                        break;
                    chunks.Add(current = []);
                    bytes = 0;
                }

                current.Add(encoded[end]);
                bytes += size;
            }

            var slice = encoded.GetRange(start, end - start);
            var totals = Add(state.Totals, slice.Select(e => e.Record));
            var lastAt = slice.Max(e => e.Record.At);
            if (state.LastAt is { } previous && previous > lastAt)
                lastAt = previous;
            var actions = new List<TableTransactionAction>(chunks.Count + 2);
            for (var i = 0; i < chunks.Count; i++)
            {
                var chunk = chunks[i];
                actions.Add(new(TableTransactionActionType.Add, UsageTable.Chunk(
                    state.PartitionKey, state.Chunks + i + 1, [.. chunk.Select(c => c.Bytes)], chunk.Min(c => c.Record.At), chunk.Max(c => c.Record.At))));
            }

            // The filer knows whether the watermark row exists (it loaded or wrote it), so it adds or replaces it rather
            // than upserting: an upsert makes storage look the row up before writing it, and in Azurite that look-up scans
            // the watermark rows of every partition (docs/benchmarks.md). Wrong knowledge fails the transaction (404 or
            // 409), and the retry reloads the watermark.
            var position = slice[^1].Position;
            var watermarkRow = new TableEntity(state.PartitionKey, WatermarkRowKey(journalId)) { ["Position"] = position };
            actions.Add(state.Watermarks.GetValueOrDefault(journalId) > 0
                ? new(TableTransactionActionType.UpdateReplace, watermarkRow, ETag.All)
                : new(TableTransactionActionType.Add, watermarkRow));
            var totalsRow = UsageTable.Totals(state.PartitionKey, totals, state.Chunks + chunks.Count, lastAt);
            actions.Add(state.TotalsETag is { } etag
                ? new(TableTransactionActionType.UpdateReplace, totalsRow, etag)
                : new(TableTransactionActionType.Add, totalsRow));
            var response = await GroupCommit.WriteAsync(metrics, "usage", slice.Count, () => usage.SubmitTransactionAsync(actions, cancellationToken));
            state.TotalsETag = response.Value[^1].Headers.ETag;
            state.Totals = totals;
            state.Chunks += chunks.Count;
            state.LastAt = lastAt;
            state.Watermarks[journalId] = position;
            _partitions[state.PartitionKey] = state;
            start = end;
        }
    }

    private async Task<PartitionState> LoadAsync(string partitionKey, string appId, DateOnly day, CancellationToken cancellationToken)
    {
        var row = await usage.GetEntityIfExistsAsync<TableEntity>(partitionKey, UsageTable.TotalsRowKey, cancellationToken: cancellationToken);
        var totals = row.HasValue ? row.Value : null;
        return new PartitionState(partitionKey)
        {
            Totals = UsageTable.ReadTotals(appId, day, totals),
            TotalsETag = totals?.ETag,
            Chunks = totals?.GetInt64("Chunks") ?? 0,
            LastAt = totals?.GetDateTimeOffset("LastAt"),
        };
    }

    private async Task<long> LoadWatermarkAsync(PartitionState state, string journalId, CancellationToken cancellationToken)
    {
        var row = await usage.GetEntityIfExistsAsync<TableEntity>(state.PartitionKey, WatermarkRowKey(journalId), ["Position"], cancellationToken);
        var position = row.HasValue ? row.Value?.GetInt64("Position") ?? 0 : 0;
        state.Watermarks[journalId] = position;
        return position;
    }

    private static UsageDayTotals Add(UsageDayTotals totals, IEnumerable<UsageRecord> records)
    {
        foreach (var r in records)
        {
            totals = totals with
            {
                Requests = totals.Requests + 1,
                BillingSessions = totals.BillingSessions + (r.OpenedBillingSession ? 1 : 0),
                ChatSessions = totals.ChatSessions + (r.OpenedBillingSession && r.ChannelClass == ChannelClass.Chat ? 1 : 0),
                VoiceSessions = totals.VoiceSessions + (r.OpenedBillingSession && r.ChannelClass == ChannelClass.Voice ? 1 : 0),
                ChargedUsd = totals.ChargedUsd + r.ChargedUsd,
            };
        }

        return totals;
    }

    public void Dispose() => _pass.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Filing into usage partition {PartitionKey} failed (attempt {Attempt}); reloading its state and filing again")]
    private static partial void LogRetry(ILogger logger, Exception exception, string partitionKey, int attempt);

    private sealed class PartitionState(string partitionKey)
    {
        public string PartitionKey { get; } = partitionKey;

        public required UsageDayTotals Totals { get; set; }

        public ETag? TotalsETag { get; set; }

        public long Chunks { get; set; }

        public DateTimeOffset? LastAt { get; set; }

        public ConcurrentDictionary<string, long> Watermarks { get; } = new(StringComparer.Ordinal);
    }
}
