using System.Globalization;
using System.Net;
using Azure;
using Azure.Data.Tables;
using Billing.Storage.Shared;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Billing.Storage.Clustering;

/// <summary>
/// Orleans membership table on Azure Tables: one partition per cluster holding a version row and one row per silo.
/// </summary>
/// <remarks>
/// <para>
/// Every membership change (<see cref="InsertRowAsync"/>, <see cref="UpdateRowAsync"/>) is one entity-group
/// transaction that writes the silo row and the version row, the latter conditioned on the version ETag the caller
/// read: two silos racing to change membership cannot both win, and a failed change leaves no trace.
/// </para>
/// <para>
/// The row ETag handed to Orleans is not Azure's ETag but a <c>Revision</c> property rewritten by every membership
/// change and left alone by heartbeats (<see cref="UpdateIAmAliveAsync"/>), which must not invalidate the row and
/// table versions a silo read before (Orleans 10's <c>IMembershipTable.UpdateRow</c> contract). The update checks
/// the revision on a read and commits on that read's Azure ETag, so a change that slipped in between still fails.
/// </para>
/// </remarks>
public sealed partial class AzureTableMembershipTable : IMembershipTable
{
    // A heartbeat that lands between an update's read and its commit costs a re-read, not a refused update.
    private const int UpdateAttempts = 3;

    private const int MaxBatchSize = 100;

    private readonly TableClient _table;
    private readonly string _clusterId;
    private readonly string _partitionKey;
    private readonly ILogger<AzureTableMembershipTable> _logger;

    public AzureTableMembershipTable(
        IOptions<AzureTableClusteringOptions> options,
        IOptions<ClusterOptions> clusterOptions,
        ILogger<AzureTableMembershipTable> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clusterOptions);
        ArgumentNullException.ThrowIfNull(logger);
        _clusterId = clusterOptions.Value.ClusterId ?? throw new ArgumentException("ClusterOptions.ClusterId is required.", nameof(clusterOptions));
        _partitionKey = MembershipRows.PartitionKey(_clusterId);
        AzureTableClusteringOptionsValidator.ThrowIfInvalid(options.Value);
        _table = options.Value.CreateTableClient();
        _logger = logger;
    }

    public Task InitializeMembershipTable(bool tryInitTableVersion) => InitializeMembershipTableAsync(tryInitTableVersion, CancellationToken.None);

    public async Task InitializeMembershipTableAsync(bool tryInitTableVersion, CancellationToken cancellationToken = default)
    {
        await _table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
        if (!tryInitTableVersion)
            return;

        try
        {
            await _table.AddEntityAsync(MembershipRows.VersionRow(_partitionKey, 0), cancellationToken).ConfigureAwait(false);
            LogVersionRowCreated(_logger, _table.Name, _clusterId);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Another silo created it first: all that matters is that it exists.
        }
    }

    public Task DeleteMembershipTableEntries(string clusterId) => DeleteMembershipTableEntriesAsync(clusterId, CancellationToken.None);

    public async Task DeleteMembershipTableEntriesAsync(string clusterId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(clusterId);
        var partitionKey = MembershipRows.PartitionKey(clusterId);
        var rows = new List<TableEntity>();
        await foreach (var row in _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey}"), select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
            rows.Add(row);

        await DeleteAsync(rows, cancellationToken).ConfigureAwait(false);
        LogClusterDeleted(_logger, clusterId, rows.Count);
    }

    public Task CleanupDefunctSiloEntries(DateTimeOffset beforeDate) => CleanupDefunctSiloEntriesAsync(beforeDate, CancellationToken.None);

    /// <summary>
    /// Deletes the rows of silos that are not active and whose last known update (heartbeat, start or a suspicion
    /// vote, the latter recording a death declaration) precedes <paramref name="beforeDate"/>.
    /// </summary>
    public async Task CleanupDefunctSiloEntriesAsync(DateTimeOffset beforeDate, CancellationToken cancellationToken = default)
    {
        var (silos, _) = await ReadPartitionAsync(rowFilter: null, cancellationToken).ConfigureAwait(false);
        var defunct = silos
            .Where(s => s.Entry.Status != SiloStatus.Active && MembershipRows.LastKnownUpdate(s.Entry) < beforeDate.UtcDateTime)
            .Select(s => s.Row)
            .ToList();

        await DeleteAsync(defunct, cancellationToken).ConfigureAwait(false);
        LogDefunctDeleted(_logger, defunct.Count, _clusterId, beforeDate);
    }

    public Task<MembershipTableData> ReadRow(SiloAddress key) => ReadRowAsync(key, CancellationToken.None);

    public async Task<MembershipTableData> ReadRowAsync(SiloAddress key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);

        // One query for the silo row and the version row, so the two are read together.
        var rowFilter = TableClient.CreateQueryFilter($"RowKey eq {MembershipRows.RowKey(key)} or RowKey eq {MembershipRows.VersionRowKey}");
        var (silos, version) = await ReadPartitionAsync(rowFilter, cancellationToken).ConfigureAwait(false);
        return ToTableData(silos, version);
    }

    public Task<MembershipTableData> ReadAll() => ReadAllAsync(CancellationToken.None);

    public async Task<MembershipTableData> ReadAllAsync(CancellationToken cancellationToken = default)
    {
        // The whole partition in one query: the version and the silo rows come from the same read.
        var (silos, version) = await ReadPartitionAsync(rowFilter: null, cancellationToken).ConfigureAwait(false);
        return ToTableData(silos, version);
    }

    public Task<bool> InsertRow(MembershipEntry entry, TableVersion tableVersion) => InsertRowAsync(entry, tableVersion, CancellationToken.None);

    public async Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion tableVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(tableVersion);
        var row = MembershipRows.SiloRow(_partitionKey, entry, NewRevision());
        TableTransactionAction[] actions =
        [
            new(TableTransactionActionType.Add, row),
            VersionUpdate(tableVersion),
        ];

        try
        {
            await _table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            LogInserted(_logger, entry.SiloAddress, entry.Status, tableVersion.Version);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 409 or 412)
        {
            // 409: the silo row exists; 412: the table version moved on; 404: no version row.
            LogWriteRefused(_logger, "Insert", entry.SiloAddress, tableVersion.Version, e.Status);
            return false;
        }
    }

    public Task<bool> UpdateRow(MembershipEntry entry, string etag, TableVersion tableVersion) => UpdateRowAsync(entry, etag, tableVersion, CancellationToken.None);

    public async Task<bool> UpdateRowAsync(MembershipEntry entry, string etag, TableVersion tableVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(tableVersion);
        var rowKey = MembershipRows.RowKey(entry.SiloAddress);
        for (var attempt = 1; ; attempt++)
        {
            var current = await _table.GetEntityIfExistsAsync<TableEntity>(_partitionKey, rowKey, select: [MembershipRows.RevisionProperty], cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!current.HasValue)
            {
                LogWriteRefused(_logger, "Update", entry.SiloAddress, tableVersion.Version, 404);
                return false;
            }

            if (!string.Equals(current.Value!.GetString(MembershipRows.RevisionProperty), etag, StringComparison.Ordinal))
            {
                LogWriteRefused(_logger, "Update", entry.SiloAddress, tableVersion.Version, 412);
                return false;
            }

            var row = MembershipRows.SiloRow(_partitionKey, entry, NewRevision());
            TableTransactionAction[] actions =
            [
                new(TableTransactionActionType.UpdateReplace, row, current.Value.ETag),
                VersionUpdate(tableVersion),
            ];

            try
            {
                await _table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
                LogUpdated(_logger, entry.SiloAddress, entry.Status, tableVersion.Version);
                return true;
            }
            catch (TableTransactionFailedException e) when (e.Status == 412 && e.FailedTransactionActionIndex == 0 && attempt < UpdateAttempts)
            {
                // The silo row changed since the read above: a heartbeat, or a competing change whose new revision the
                // next read will reveal.
            }
            catch (RequestFailedException e) when (e.Status is 404 or 409 or 412)
            {
                LogWriteRefused(_logger, "Update", entry.SiloAddress, tableVersion.Version, e.Status);
                return false;
            }
        }
    }

    public Task UpdateIAmAlive(MembershipEntry entry) => UpdateIAmAliveAsync(entry, CancellationToken.None);

    public async Task UpdateIAmAliveAsync(MembershipEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);

        // Each silo owns its heartbeat: a merge of that one property, unconditional, and leaving Revision untouched.
        var heartbeat = new TableEntity(_partitionKey, MembershipRows.RowKey(entry.SiloAddress))
        {
            [MembershipRows.IAmAliveTimeProperty] = MembershipRows.FormatTime(entry.IAmAliveTime),
        };
        await _table.UpdateEntityAsync(heartbeat, ETag.All, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
        LogHeartbeat(_logger, entry.SiloAddress, entry.IAmAliveTime);
    }

    private TableTransactionAction VersionUpdate(TableVersion tableVersion) =>
        new(TableTransactionActionType.UpdateReplace, MembershipRows.VersionRow(_partitionKey, tableVersion.Version),
            tableVersion.VersionEtag is { } versionEtag ? new ETag(versionEtag) : throw new ArgumentException("The table version carries no ETag.", nameof(tableVersion)));

    private async Task<(List<(MembershipEntry Entry, TableEntity Row)> Silos, TableVersion? Version)> ReadPartitionAsync(string? rowFilter, CancellationToken cancellationToken)
    {
        var partitionFilter = TableClient.CreateQueryFilter($"PartitionKey eq {_partitionKey}");
        var filter = rowFilter is null ? partitionFilter : $"{partitionFilter} and ({rowFilter})";
        var silos = new List<(MembershipEntry, TableEntity)>();
        TableVersion? version = null;
        await foreach (var row in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (row.RowKey == MembershipRows.VersionRowKey)
                version = new TableVersion(row.GetInt32(MembershipRows.VersionProperty) ?? 0, row.ETag.ToString());
            else
                silos.Add((MembershipRows.ToEntry(row), row));
        }

        return (silos, version);
    }

    private MembershipTableData ToTableData(List<(MembershipEntry Entry, TableEntity Row)> silos, TableVersion? version)
    {
        if (version is null)
            throw new InvalidOperationException($"The membership table {_table.Name} has no version row for cluster '{_clusterId}': it was not initialized (InitializeMembershipTable(true)) or its entries were deleted.");

        var members = silos.Select(s => Tuple.Create(s.Entry, s.Row.GetString(MembershipRows.RevisionProperty))).ToList();
        return new MembershipTableData(members, version);
    }

    private async Task DeleteAsync(IReadOnlyCollection<TableEntity> rows, CancellationToken cancellationToken)
    {
        foreach (var chunk in rows.Chunk(MaxBatchSize))
        {
            var actions = chunk.Select(r => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(r.PartitionKey, r.RowKey), ETag.All));
            await _table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string NewRevision() => Guid.NewGuid().ToString("N");

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the version row of cluster {ClusterId} in membership table {TableName}")]
    private static partial void LogVersionRowCreated(ILogger logger, string tableName, string clusterId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Inserted silo {SiloAddress} as {Status} at table version {Version}")]
    private static partial void LogInserted(ILogger logger, SiloAddress siloAddress, SiloStatus status, int version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Updated silo {SiloAddress} to {Status} at table version {Version}")]
    private static partial void LogUpdated(ILogger logger, SiloAddress siloAddress, SiloStatus status, int version);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Operation} of silo {SiloAddress} at table version {Version} refused with status {Status}; Orleans re-reads and retries")]
    private static partial void LogWriteRefused(ILogger logger, string operation, SiloAddress siloAddress, int version, int status);

    [LoggerMessage(Level = LogLevel.Trace, Message = "Silo {SiloAddress} alive at {IAmAliveTime:O}")]
    private static partial void LogHeartbeat(ILogger logger, SiloAddress siloAddress, DateTime iAmAliveTime);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} defunct silo rows of cluster {ClusterId} last updated before {BeforeDate:O}")]
    private static partial void LogDefunctDeleted(ILogger logger, int count, string clusterId, DateTimeOffset beforeDate);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleted all {Count} membership rows of cluster {ClusterId}")]
    private static partial void LogClusterDeleted(ILogger logger, string clusterId, int count);
}

/// <summary>The membership table's row layout, shared by the silo-side table and the client-side gateway list.</summary>
internal static class MembershipRows
{
    public const string VersionRowKey = "VersionRow";
    public const string VersionProperty = "MembershipVersion";
    public const string RevisionProperty = "Revision";
    public const string AddressProperty = "Address";
    public const string PortProperty = "Port";
    public const string GenerationProperty = "Generation";
    public const string StatusProperty = "Status";
    public const string ProxyPortProperty = "ProxyPort";
    public const string HostNameProperty = "HostName";
    public const string SiloNameProperty = "SiloName";
    public const string RoleNameProperty = "RoleName";
    public const string UpdateZoneProperty = "UpdateZone";
    public const string FaultZoneProperty = "FaultZone";
    public const string StartTimeProperty = "StartTime";
    public const string IAmAliveTimeProperty = "IAmAliveTime";
    public const string SuspectingSilosProperty = "SuspectingSilos";
    public const string SuspectingTimesProperty = "SuspectingTimes";

    // Neither a parsable silo address nor a round-trip time contains it.
    private const char ListSeparator = '|';

    public static string PartitionKey(string clusterId) => TableKeys.Escape(clusterId);

    public static string RowKey(SiloAddress siloAddress) => TableKeys.Escape(siloAddress.ToParsableString());

    public static TableEntity VersionRow(string partitionKey, int version) => new(partitionKey, VersionRowKey)
    {
        [VersionProperty] = version,
    };

    public static TableEntity SiloRow(string partitionKey, MembershipEntry entry, string revision)
    {
        var suspectTimes = entry.SuspectTimes ?? [];
        return new TableEntity(partitionKey, RowKey(entry.SiloAddress))
        {
            [RevisionProperty] = revision,
            [AddressProperty] = entry.SiloAddress.Endpoint.Address.ToString(),
            [PortProperty] = entry.SiloAddress.Endpoint.Port,
            [GenerationProperty] = entry.SiloAddress.Generation,
            [StatusProperty] = entry.Status.ToString(),
            [ProxyPortProperty] = entry.ProxyPort,
            [HostNameProperty] = entry.HostName,
            [SiloNameProperty] = entry.SiloName,
            [RoleNameProperty] = entry.RoleName,
            [UpdateZoneProperty] = entry.UpdateZone,
            [FaultZoneProperty] = entry.FaultZone,
            // Times are round-trip strings: exact to the tick, and free of Azure's 1601 floor for Edm.DateTime.
            [StartTimeProperty] = FormatTime(entry.StartTime),
            [IAmAliveTimeProperty] = FormatTime(entry.IAmAliveTime),
            [SuspectingSilosProperty] = string.Join(ListSeparator, suspectTimes.Select(s => s.Item1.ToParsableString())),
            [SuspectingTimesProperty] = string.Join(ListSeparator, suspectTimes.Select(s => FormatTime(s.Item2))),
        };
    }

    public static MembershipEntry ToEntry(TableEntity row)
    {
        var entry = new MembershipEntry
        {
            SiloAddress = SiloAddress(row),
            Status = Enum.Parse<SiloStatus>(Required(row, StatusProperty)),
            ProxyPort = row.GetInt32(ProxyPortProperty) ?? 0,
            HostName = row.GetString(HostNameProperty),
            SiloName = row.GetString(SiloNameProperty),
            RoleName = row.GetString(RoleNameProperty),
            UpdateZone = row.GetInt32(UpdateZoneProperty) ?? 0,
            FaultZone = row.GetInt32(FaultZoneProperty) ?? 0,
            StartTime = ParseTime(row.GetString(StartTimeProperty)),
            IAmAliveTime = ParseTime(row.GetString(IAmAliveTimeProperty)),
        };

        var silos = Split(row.GetString(SuspectingSilosProperty));
        var times = Split(row.GetString(SuspectingTimesProperty));
        if (silos.Length != times.Length)
            throw new InvalidOperationException($"Membership row {row.RowKey} lists {silos.Length} suspecting silos but {times.Length} suspecting times.");
        for (var i = 0; i < silos.Length; i++)
            entry.AddSuspector(Orleans.Runtime.SiloAddress.FromParsableString(silos[i]), ParseTime(times[i]));

        return entry;
    }

    public static SiloAddress SiloAddress(TableEntity row) => Orleans.Runtime.SiloAddress.New(
        IPAddress.Parse(Required(row, AddressProperty)),
        row.GetInt32(PortProperty) ?? 0,
        row.GetInt32(GenerationProperty) ?? 0);

    /// <summary>The latest of heartbeat, start and suspicion votes: a death declaration is recorded as a vote.</summary>
    public static DateTime LastKnownUpdate(MembershipEntry entry)
    {
        var latest = Max(AsUtc(entry.IAmAliveTime), AsUtc(entry.StartTime));
        foreach (var (_, voteTime) in entry.SuspectTimes ?? [])
            latest = Max(latest, AsUtc(voteTime));
        return latest;
    }

    private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;

    // Orleans stamps membership times in UTC; an unspecified kind is taken as UTC.
    private static DateTime AsUtc(DateTime value) => value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : DateTime.SpecifyKind(value, DateTimeKind.Utc);

    public static string FormatTime(DateTime value) => value.ToString("O", CultureInfo.InvariantCulture);

    private static DateTime ParseTime(string? value) => string.IsNullOrEmpty(value)
        ? default
        : DateTime.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    private static string[] Split(string? value) => string.IsNullOrEmpty(value) ? [] : value.Split(ListSeparator);

    private static string Required(TableEntity row, string property) =>
        row.GetString(property) ?? throw new InvalidOperationException($"Membership row {row.RowKey} has no {property}.");
}
