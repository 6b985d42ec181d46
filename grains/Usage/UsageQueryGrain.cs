using System.Runtime.CompilerServices;
using Azure.Data.Tables;
using Orleans.Concurrency;

namespace Billing.Usage;

/// <summary>
/// Trends straight from the <c>Usage</c> table (U1), after every silo filed what it committed (so a trend counts every
/// decision answered before it was asked). A stateless worker: one per silo core, no state.
/// </summary>
[StatelessWorker]
public sealed class UsageQueryGrain(BillingTables tables) : Grain, IUsageQueryGrain
{
    async Task<IReadOnlyList<UsageTrendPoint>> IUsageQueryGrain.GetTrend(IReadOnlyList<string> appIds, DateOnly from, DateOnly to, TrendGranularity granularity)
    {
        await Billing.Journal.UsageFiling.FileEverywhereAsync(GrainFactory);
        var points = new SortedDictionary<DateOnly, UsageTrendPoint>();
        for (var day = from; day <= to; day = day.AddDays(1))
        {
            var period = granularity == TrendGranularity.Month ? new DateOnly(day.Year, day.Month, 1) : day;
            points.TryAdd(period, new UsageTrendPoint(period, 0, 0, 0, 0));
        }

        // One range query per app over its day partitions, reading only the totals rows.
        foreach (var appId in appIds.Distinct(StringComparer.Ordinal))
        {
            var filter = TableClient.CreateQueryFilter(
                $"PartitionKey ge {UsageTable.PartitionKey(appId, from)} and PartitionKey le {UsageTable.PartitionKey(appId, to)} and RowKey eq {UsageTable.TotalsRowKey}");
            await foreach (var row in tables.Usage.QueryAsync<TableEntity>(filter))
            {
                var day = DateOnly.ParseExact(row.PartitionKey[^8..], "yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
                var totals = UsageTable.ReadTotals(appId, day, row);
                var period = granularity == TrendGranularity.Month ? new DateOnly(day.Year, day.Month, 1) : day;
                var p = points[period];
                points[period] = p with
                {
                    BillingSessions = p.BillingSessions + totals.BillingSessions,
                    Requests = p.Requests + totals.Requests,
                    ChatSessions = p.ChatSessions + totals.ChatSessions,
                    VoiceSessions = p.VoiceSessions + totals.VoiceSessions,
                };
            }
        }

        return [.. points.Values];
    }
}

/// <summary>One streamed export (U2); the activation is collected when idle.</summary>
public sealed class UsageExportGrain(BillingTables tables) : Grain, IUsageExportGrain
{
    async IAsyncEnumerable<UsageRecord> IUsageExportGrain.Export(string appId, DateOnly from, DateOnly to, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Billing.Journal.UsageFiling.FileEverywhereAsync(GrainFactory);
        // Chunk by chunk, day by day: memory holds one page of chunks, never the export.
        for (var day = from; day <= to; day = day.AddDays(1))
        {
            await foreach (var chunk in UsageTable.AllChunks(tables.Usage, UsageTable.PartitionKey(appId, day)).WithCancellation(cancellationToken))
            {
                foreach (var record in UsageTable.ReadChunk(chunk, appId))
                    yield return record;
            }
        }
    }
}
