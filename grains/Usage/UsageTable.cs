using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Billing.Storage.Shared;

namespace Billing.Usage;

/// <summary>
/// The layout of the <c>Usage</c> table: one partition per app and UTC day (<c>{app}_{yyyyMMdd}</c>), written only
/// by that day's <see cref="UsageLogGrain"/>:
/// <list type="bullet">
/// <item><c>t</c>: the day's totals (requests, sessions by class, amount charged) and the number of chunks;</item>
/// <item><c>c{seq:D10}</c>: a chunk of usage records in arrival order, in one binary property of at most 60 KB (Azure
/// allows 64 KiB), so a batch of messages costs one row, not one row each. <c>Format</c> 2 is
/// <see cref="UsageRecordCodec"/>; rows without it (format 1, before 2026-11-24) hold UTF-8 JSON lines and are still
/// read.</item>
/// </list>
/// </summary>
public static class UsageTable
{
    public const string TableName = "Usage";
    public const string TotalsRowKey = "t";
    public const int MaxChunkBytes = 60_000;
    private const string ChunkPrefix = "c";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string PartitionKey(string appId, DateOnly day) => $"{TableKeys.Escape(appId)}_{day.ToString("yyyyMMdd", CultureInfo.InvariantCulture)}";

    public static string ChunkRowKey(long seq) => ChunkPrefix + seq.ToString("D10", CultureInfo.InvariantCulture);

    /// <summary>A chunk row of records already encoded by <see cref="UsageRecordCodec.Encode"/>, in order.</summary>
    public static TableEntity Chunk(string partitionKey, long seq, IReadOnlyList<byte[]> records, DateTimeOffset firstAt, DateTimeOffset lastAt)
    {
        var data = new byte[records.Sum(r => r.Length)];
        var offset = 0;
        foreach (var record in records)
        {
            record.CopyTo(data, offset);
            offset += record.Length;
        }

        return new TableEntity(partitionKey, ChunkRowKey(seq))
        {
            ["Records"] = data,
            ["Format"] = UsageRecordCodec.Format,
            ["Count"] = records.Count,
            ["FirstAt"] = firstAt,
            ["LastAt"] = lastAt,
        };
    }

    /// <summary>The records of a chunk row of <paramref name="appId"/>'s partition, in order.</summary>
    public static IEnumerable<UsageRecord> ReadChunk(TableEntity chunk, string appId)
    {
        var data = chunk.GetBinary("Records") ?? [];
        return chunk.GetInt32("Format") switch
        {
            UsageRecordCodec.Format => UsageRecordCodec.ReadAll(data, appId),
            null => ReadJsonLines(chunk, data),
            var other => throw new InvalidDataException($"Usage chunk {chunk.PartitionKey}/{chunk.RowKey} has format {other}, which this version cannot read."),
        };
    }

    private static IEnumerable<UsageRecord> ReadJsonLines(TableEntity chunk, byte[] data)
    {
        var start = 0;
        for (var i = 0; i < data.Length; i++)
        {
            if (data[i] != (byte)'\n')
                continue;
            yield return JsonSerializer.Deserialize<UsageRecord>(data.AsSpan(start, i - start), Json)
                ?? throw new InvalidDataException($"An empty usage record in chunk {chunk.PartitionKey}/{chunk.RowKey}.");
            start = i + 1;
        }
    }

    public static TableEntity Totals(string partitionKey, UsageDayTotals totals, long chunks, DateTimeOffset? lastAt) => new(partitionKey, TotalsRowKey)
    {
        ["Requests"] = totals.Requests,
        ["BillingSessions"] = totals.BillingSessions,
        ["ChatSessions"] = totals.ChatSessions,
        ["VoiceSessions"] = totals.VoiceSessions,
        ["ChargedUsd"] = totals.ChargedUsd.ToString(CultureInfo.InvariantCulture),
        ["Chunks"] = chunks,
        ["LastAt"] = lastAt,
    };

    public static UsageDayTotals ReadTotals(string appId, DateOnly day, TableEntity? row) => row is null
        ? new UsageDayTotals(appId, day, 0, 0, 0, 0, 0m)
        : new UsageDayTotals(
            appId,
            day,
            row.GetInt64("Requests") ?? 0,
            row.GetInt64("BillingSessions") ?? 0,
            row.GetInt64("ChatSessions") ?? 0,
            row.GetInt64("VoiceSessions") ?? 0,
            decimal.Parse(row.GetString("ChargedUsd") ?? "0", NumberStyles.Number, CultureInfo.InvariantCulture));

    /// <summary>Chunks of a day whose last record is at or after <paramref name="since"/>, in order.</summary>
    public static AsyncPageable<TableEntity> ChunksSince(TableClient table, string partitionKey, DateTimeOffset since) =>
        table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey} and RowKey ge {ChunkPrefix} and LastAt ge {since}"));

    /// <summary>Every chunk of a day, in order.</summary>
    public static AsyncPageable<TableEntity> AllChunks(TableClient table, string partitionKey) =>
        table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey} and RowKey ge {ChunkPrefix} and RowKey lt {"d"}"));
}
