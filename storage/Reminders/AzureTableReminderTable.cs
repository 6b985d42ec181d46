using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Billing.Storage.Shared;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Billing.Storage.Reminders;

/// <summary>
/// Orleans reminder table on Azure Tables.
/// </summary>
/// <remarks>
/// <para>
/// Key layout: PartitionKey = escaped ServiceId + <c>_</c> + the grain's uniform hash as 8 upper-case hex digits,
/// so a silo reading its slice of the hash ring issues a PartitionKey range query whose string order equals the
/// numeric order of the hashes. RowKey = escaped grain id + <c>~|</c> + escaped reminder name: <see cref="TableKeys"/>
/// only ever writes <c>~</c> followed by two hex digits, so <c>~|</c> cannot occur inside an escaped part and the
/// pair (grain, name) maps to exactly one key.
/// </para>
/// <para>
/// A ServiceId property is stored and filtered on as well: the PartitionKey range of service <c>a</c> would
/// otherwise also cover the partitions of a service called <c>a_0</c>.
/// </para>
/// </remarks>
public sealed partial class AzureTableReminderTable : IReminderTable
{
    private const string RowKeySeparator = "~|";

    // The character after '|' (U+007C): every RowKey starting with "<grain>~|" sorts below "<grain>~}".
    private const string RowKeySeparatorUpperBound = "~}";

    private const string ServiceIdProperty = "ServiceId";
    private const string GrainIdProperty = "GrainId";
    private const string ReminderNameProperty = "ReminderName";
    private const string StartAtProperty = "StartAt";
    private const string PeriodProperty = "Period";
    private const string GrainHashProperty = "GrainHash";

    // Azure rejects a transaction of more than 100 operations.
    private const int MaxBatchSize = 100;

    private readonly TableClient _table;
    private readonly string _serviceId;
    private readonly string _partitionPrefix;
    private readonly ILogger<AzureTableReminderTable> _logger;

    public AzureTableReminderTable(
        IOptions<AzureTableReminderOptions> options,
        IOptions<ClusterOptions> clusterOptions,
        ILogger<AzureTableReminderTable> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clusterOptions);
        ArgumentNullException.ThrowIfNull(logger);
        _serviceId = clusterOptions.Value.ServiceId ?? throw new ArgumentException("ClusterOptions.ServiceId is required.", nameof(clusterOptions));
        _partitionPrefix = TableKeys.Escape(_serviceId) + "_";
        AzureTableReminderOptionsValidator.ThrowIfInvalid(options.Value);
        _table = options.Value.CreateTableClient();
        _logger = logger;
    }

    public Task Init() => StartAsync(CancellationToken.None);

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
        LogInitialized(_logger, _table.Name, _serviceId);
    }

    public Task<ReminderTableData> ReadRows(GrainId grainId) => ReadRows(grainId, CancellationToken.None);

    public async Task<ReminderTableData> ReadRows(GrainId grainId, CancellationToken cancellationToken)
    {
        var escapedGrainId = TableKeys.Escape(grainId.ToString());
        var prefix = escapedGrainId + RowKeySeparator;
        var upperBound = escapedGrainId + RowKeySeparatorUpperBound;
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {PartitionKey(grainId.GetUniformHashCode())} and RowKey ge {prefix} and RowKey lt {upperBound}");
        return new ReminderTableData(await QueryAsync(filter, cancellationToken).ConfigureAwait(false));
    }

    public Task<ReminderTableData> ReadRows(uint begin, uint end) => ReadRows(begin, end, CancellationToken.None);

    /// <summary>
    /// Reminders whose grain hash lies in the ring range (begin, end]: when <paramref name="begin"/> &lt;
    /// <paramref name="end"/> that is begin &lt; hash &lt;= end, otherwise it wraps around zero, hash &gt; begin or
    /// hash &lt;= end, which for begin == end is the whole ring (Orleans' IReminderTable contract).
    /// </summary>
    public async Task<ReminderTableData> ReadRows(uint begin, uint end, CancellationToken cancellationToken)
    {
        List<ReminderEntry> entries;
        if (begin < end)
        {
            entries = await QueryAsync(HashRangeFilter(PartitionKey(begin), inclusiveLow: false, PartitionKey(end)), cancellationToken).ConfigureAwait(false);
        }
        else if (begin == end)
        {
            entries = await QueryAsync(WholeRingFilter(), cancellationToken).ConfigureAwait(false);
        }
        else
        {
            // (begin, uint.MaxValue] and [0, end]: disjoint, so the union needs no de-duplication.
            var upper = QueryAsync(HashRangeFilter(PartitionKey(begin), inclusiveLow: false, PartitionKey(uint.MaxValue)), cancellationToken);
            var lower = QueryAsync(HashRangeFilter(PartitionKey(uint.MinValue), inclusiveLow: true, PartitionKey(end)), cancellationToken);
            var both = await Task.WhenAll(upper, lower).ConfigureAwait(false);
            entries = [.. both[0], .. both[1]];
        }

        LogReadRange(_logger, begin, end, entries.Count);
        return new ReminderTableData(entries);
    }

    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName) => ReadRow(grainId, reminderName, CancellationToken.None);

    public async Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reminderName);
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(
            PartitionKey(grainId.GetUniformHashCode()), RowKey(grainId, reminderName), cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? ToReminderEntry(response.Value!) : null;
    }

    public Task<string?> UpsertRow(ReminderEntry entry) => UpsertRow(entry, CancellationToken.None);

    public async Task<string?> UpsertRow(ReminderEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var hash = entry.GrainId.GetUniformHashCode();
        var entity = new TableEntity(PartitionKey(hash), RowKey(entry.GrainId, entry.ReminderName))
        {
            [ServiceIdProperty] = _serviceId,
            [GrainIdProperty] = entry.GrainId.ToString(),
            [ReminderNameProperty] = entry.ReminderName,
            [StartAtProperty] = new DateTimeOffset(AsUtc(entry.StartAt)),
            [PeriodProperty] = entry.Period.ToString("c", CultureInfo.InvariantCulture),
            [GrainHashProperty] = (long)hash,
        };

        // Last writer wins, as in every Orleans reminder table: the reminder service serializes writes per grain.
        var response = await _table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        var etag = response.Headers.ETag?.ToString()
            ?? throw new InvalidOperationException($"The table service returned no ETag for reminder '{entry.ReminderName}' of grain {entry.GrainId}.");
        LogUpserted(_logger, entry.GrainId, entry.ReminderName);
        return etag;
    }

    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag) => RemoveRow(grainId, reminderName, eTag, CancellationToken.None);

    public async Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reminderName);
        ArgumentException.ThrowIfNullOrEmpty(eTag);
        try
        {
            var response = await _table.DeleteEntityAsync(
                PartitionKey(grainId.GetUniformHashCode()), RowKey(grainId, reminderName), new ETag(eTag), cancellationToken).ConfigureAwait(false);

            // The SDK reports a missing entity as a 404 response rather than an exception.
            if (response.Status == 404)
            {
                LogRemoveRefused(_logger, grainId, reminderName, response.Status);
                return false;
            }

            return true;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            LogRemoveRefused(_logger, grainId, reminderName, e.Status);
            return false;
        }
    }

    public Task TestOnlyClearTable() => TestOnlyClearTable(CancellationToken.None);

    public async Task TestOnlyClearTable(CancellationToken cancellationToken)
    {
        var keys = new List<(string PartitionKey, string RowKey)>();
        await foreach (var entity in _table.QueryAsync<TableEntity>(WholeRingFilter(), select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
            keys.Add((entity.PartitionKey, entity.RowKey));

        // A transaction is confined to one partition and 100 operations.
        foreach (var partition in keys.GroupBy(k => k.PartitionKey, StringComparer.Ordinal))
        {
            foreach (var chunk in partition.Chunk(MaxBatchSize))
            {
                var actions = chunk.Select(k => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(k.PartitionKey, k.RowKey), ETag.All));
                await _table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            }
        }

        LogCleared(_logger, _table.Name, _serviceId, keys.Count);
    }

    private async Task<List<ReminderEntry>> QueryAsync(string filter, CancellationToken cancellationToken)
    {
        var entries = new List<ReminderEntry>();
        await foreach (var entity in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
            entries.Add(ToReminderEntry(entity));
        return entries;
    }

    private string HashRangeFilter(string low, bool inclusiveLow, string high) => inclusiveLow
        ? TableClient.CreateQueryFilter($"PartitionKey ge {low} and PartitionKey le {high} and ServiceId eq {_serviceId}")
        : TableClient.CreateQueryFilter($"PartitionKey gt {low} and PartitionKey le {high} and ServiceId eq {_serviceId}");

    private string WholeRingFilter() => HashRangeFilter(PartitionKey(uint.MinValue), inclusiveLow: true, PartitionKey(uint.MaxValue));

    private string PartitionKey(uint grainHash) => _partitionPrefix + grainHash.ToString("X8", CultureInfo.InvariantCulture);

    private static string RowKey(GrainId grainId, string reminderName) =>
        TableKeys.Escape(grainId.ToString()) + RowKeySeparator + TableKeys.Escape(reminderName);

    private static ReminderEntry ToReminderEntry(TableEntity entity) => new()
    {
        GrainId = GrainId.Parse(entity.GetString(GrainIdProperty)),
        ReminderName = entity.GetString(ReminderNameProperty),
        StartAt = entity.GetDateTimeOffset(StartAtProperty)?.UtcDateTime
            ?? throw new InvalidOperationException($"Reminder row {entity.PartitionKey}/{entity.RowKey} has no {StartAtProperty}."),
        Period = TimeSpan.ParseExact(entity.GetString(PeriodProperty), "c", CultureInfo.InvariantCulture),
        ETag = entity.ETag.ToString(),
    };

    // Orleans computes reminder times in UTC; an unspecified kind is taken as UTC rather than shifted by the host's zone.
    private static DateTime AsUtc(DateTime value) => value.Kind switch
    {
        DateTimeKind.Utc => value,
        DateTimeKind.Local => value.ToUniversalTime(),
        _ => DateTime.SpecifyKind(value, DateTimeKind.Utc),
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Reminder table {TableName} ready for service {ServiceId}")]
    private static partial void LogInitialized(ILogger logger, string tableName, string serviceId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Read {Count} reminders in hash range ({Begin:X8}, {End:X8}]")]
    private static partial void LogReadRange(ILogger logger, uint begin, uint end, int count);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Upserted reminder {ReminderName} of grain {GrainId}")]
    private static partial void LogUpserted(ILogger logger, GrainId grainId, string reminderName);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Removal of reminder {ReminderName} of grain {GrainId} refused with status {Status} (stale ETag or already removed)")]
    private static partial void LogRemoveRefused(ILogger logger, GrainId grainId, string reminderName, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cleared {Count} reminders of service {ServiceId} from table {TableName}")]
    private static partial void LogCleared(ILogger logger, string tableName, string serviceId, int count);
}
