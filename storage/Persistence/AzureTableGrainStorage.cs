using Azure;
using Azure.Data.Tables;
using Azure.Data.Tables.Models;
using Billing.Storage.Shared;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Billing.Storage.Persistence;

/// <summary>
/// Orleans grain storage on one Azure table: one row per grain state, PartitionKey = escaped grain id, RowKey = escaped
/// state name, so the named states of a grain are independent rows of one partition. The serialized state is split over
/// binary properties <c>Data0</c>..<c>Data14</c> of at most 64 KiB each (Azure's per-property limit), with their count in
/// <c>DataChunks</c>. Concurrency is optimistic on the row's Azure ETag.
/// </summary>
public sealed partial class AzureTableGrainStorage : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>Azure's limit for one binary property.</summary>
    public const int ChunkBytes = 64 * 1024;

    /// <summary>
    /// Azure caps an entity at 1 MiB and 255 properties, keys and property names included. Fifteen full chunks are
    /// 960 KiB, which leaves room for the two keys (at most 1 KiB each), <c>DataChunks</c> and the system properties.
    /// </summary>
    public const int MaxChunks = 15;

    /// <summary>The largest serialized state this provider writes. Azurite does not enforce Azure's limit, so we do.</summary>
    public const int MaxStateBytes = ChunkBytes * MaxChunks;

    private const string ChunkCountProperty = "DataChunks";
    private const string ChunkPropertyPrefix = "Data";

    private readonly string _name;
    private readonly TableClient _table;
    private readonly IGrainStorageSerializer _serializer;
    private readonly IActivatorProvider _activatorProvider;
    private readonly ILogger _logger;
    private volatile bool _tableReady;

    /// <param name="name">The provider name grains refer to in <c>[PersistentState(stateName, name)]</c>.</param>
    /// <param name="options">Where the table lives and which serializer to use (<see cref="AzureTableGrainStorageOptions.GrainStorageSerializer"/> must be set).</param>
    /// <param name="activatorProvider">Creates the default state of a missing or cleared record, as Orleans' own providers do.</param>
    /// <param name="logger">The provider's logger.</param>
    public AzureTableGrainStorage(string name, AzureTableGrainStorageOptions options, IActivatorProvider activatorProvider, ILogger<AzureTableGrainStorage> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(activatorProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _name = name;
        _serializer = options.GrainStorageSerializer
            ?? throw new ArgumentException($"{AzureTableGrainStorageOptionsValidator.SettingPrefix(name)}:GrainStorageSerializer is required.", nameof(options));
        _table = options.CreateTableClient();
        _activatorProvider = activatorProvider;
        _logger = logger;
    }

    /// <summary>The table this provider owns.</summary>
    public string TableName => _table.Name;

    /// <summary>
    /// Creates the table if it does not exist. The silo calls this at <see cref="ServiceLifecycleStage.ApplicationServices"/>,
    /// before any grain activates; code that constructs the provider itself (tests, tools) calls it once before use.
    /// </summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e)
        {
            LogTableCreationFailed(e, _name, TableName, e.Status, e.ErrorCode);
            throw;
        }

        _tableReady = true;
        LogTableReady(_name, TableName);
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(OptionFormattingUtilities.Name<AzureTableGrainStorage>(_name), ServiceLifecycleStage.ApplicationServices, InitializeAsync);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ReadStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        WriteStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ClearStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var (partitionKey, rowKey) = KeysOf(stateName, grainId);
        LogReading(_name, grainId, stateName, TableName);

        NullableResponse<TableEntity> response;
        try
        {
            response = await _table.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e)
        {
            LogStorageFailed(e, "read", _name, grainId, stateName, TableName, e.Status, e.ErrorCode);
            throw;
        }

        if (!response.HasValue)
        {
            ResetToDefault(grainState);
            return;
        }

        var entity = response.Value!;
        var loaded = Deserialize<T>(entity, stateName, grainId);
        // As Orleans' own providers do: a record whose state deserializes to null counts as no record, but keeps its ETag.
        grainState.State = loaded ?? CreateDefault<T>();
        grainState.RecordExists = loaded is not null;
        grainState.ETag = entity.ETag.ToString();
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var (partitionKey, rowKey) = KeysOf(stateName, grainId);
        var expectedETag = grainState.ETag;
        LogWriting(_name, grainId, stateName, TableName, expectedETag);

        // Serialized and measured before any request, so a state too large for Azure leaves the stored row untouched.
        var bytes = _serializer.Serialize(grainState.State).ToMemory();
        if (bytes.Length > MaxStateBytes)
        {
            LogStateTooLarge(_name, grainId, stateName, TableName, bytes.Length, MaxStateBytes);
            throw new ArgumentOutOfRangeException(
                nameof(grainState),
                $"Grain state '{stateName}' of grain {grainId} serializes to {bytes.Length} bytes, over the {MaxStateBytes}-byte limit of Azure table grain storage '{_name}' ({MaxChunks} properties of {ChunkBytes} bytes, to stay under Azure's 1 MiB entity limit). Nothing was written.");
        }

        var entity = ToEntity(partitionKey, rowKey, bytes);

        Response response;
        try
        {
            // No ETag means the grain believes there is no record: insert, so a record someone else wrote is a conflict
            // (409). With an ETag, replace only that version of the row (412 if it changed, 404 if it was deleted).
            response = expectedETag is null
                ? await _table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false)
                : await _table.UpdateEntityAsync(entity, new ETag(expectedETag), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (IsVersionConflict(e, expectedETag))
        {
            throw await ConflictAsync("write", partitionKey, rowKey, stateName, grainId, expectedETag, e, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e)
        {
            LogStorageFailed(e, "write", _name, grainId, stateName, TableName, e.Status, e.ErrorCode);
            throw;
        }

        grainState.ETag = response.Headers.ETag?.ToString()
            ?? throw new InvalidOperationException($"Table '{TableName}' answered a write of grain state '{stateName}' of grain {grainId} without an ETag.");
        grainState.RecordExists = true;
    }

    /// <summary>
    /// Deletes the row (conditional on the grain's ETag) rather than writing a tombstone: a cleared state then costs no
    /// storage and reads exactly like a state never written (default, no ETag), so the next write is an insert, and a
    /// concurrent writer's insert in between surfaces as a conflict rather than being overwritten.
    /// </summary>
    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var (partitionKey, rowKey) = KeysOf(stateName, grainId);
        var expectedETag = grainState.ETag;
        LogClearing(_name, grainId, stateName, TableName, expectedETag);

        if (expectedETag is null)
        {
            // The grain believes there is no record, so there is nothing to delete. A row that does exist was written by
            // someone else, exactly as a null-ETag write would find; and if one appears right after this check, the clear
            // simply took effect before it, which is still a consistent order.
            string? stored;
            try
            {
                stored = await StoredETagAsync(partitionKey, rowKey, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException e)
            {
                LogStorageFailed(e, "clear", _name, grainId, stateName, TableName, e.Status, e.ErrorCode);
                throw;
            }

            if (stored is not null)
                throw Conflict("clear", stateName, grainId, stored, expectedETag, storageException: null);
        }
        else
        {
            Response response;
            try
            {
                response = await _table.DeleteEntityAsync(partitionKey, rowKey, new ETag(expectedETag), cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
                throw await ConflictAsync("clear", partitionKey, rowKey, stateName, grainId, expectedETag, e, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException e)
            {
                LogStorageFailed(e, "clear", _name, grainId, stateName, TableName, e.Status, e.ErrorCode);
                throw;
            }

            // The SDK reports a missing row as a 404 response rather than an exception. The grain held a version of a
            // row that someone else has since deleted: its view is stale, the same as a 404 on update.
            if (response.Status == 404)
                throw Conflict("clear", stateName, grainId, storedETag: null, expectedETag, storageException: null);
        }

        ResetToDefault(grainState);
    }

    private (string PartitionKey, string RowKey) KeysOf(string stateName, GrainId grainId)
    {
        ArgumentNullException.ThrowIfNull(stateName);
        if (!_tableReady)
            throw new InvalidOperationException($"Azure table grain storage '{_name}' is used before its table '{TableName}' was created: the silo does that at start-up; code that constructs the provider itself must await {nameof(InitializeAsync)} first.");
        return (TableKeys.Escape(grainId.ToString()), TableKeys.Escape(stateName));
    }

    private static TableEntity ToEntity(string partitionKey, string rowKey, ReadOnlyMemory<byte> bytes)
    {
        var chunks = (bytes.Length + ChunkBytes - 1) / ChunkBytes;
        var entity = new TableEntity(partitionKey, rowKey) { [ChunkCountProperty] = chunks };
        for (var i = 0; i < chunks; i++)
        {
            var start = i * ChunkBytes;
            entity[ChunkName(i)] = bytes.Slice(start, Math.Min(ChunkBytes, bytes.Length - start)).ToArray();
        }

        return entity;
    }

    private T? Deserialize<T>(TableEntity entity, string stateName, GrainId grainId)
    {
        var chunks = entity.GetInt32(ChunkCountProperty);
        if (chunks is not (>= 0 and <= MaxChunks))
            throw Corrupt(stateName, grainId, $"its {ChunkCountProperty} is {chunks?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "missing"}");

        var parts = new byte[chunks.Value][];
        for (var i = 0; i < parts.Length; i++)
            parts[i] = entity.GetBinary(ChunkName(i)) ?? throw Corrupt(stateName, grainId, $"its property {ChunkName(i)} is missing");
        if (parts.Length == 0)
            return default;

        var bytes = new byte[parts.Sum(p => p.Length)];
        var offset = 0;
        foreach (var part in parts)
        {
            part.CopyTo(bytes, offset);
            offset += part.Length;
        }

        return _serializer.Deserialize<T>(new BinaryData(bytes));
    }

    private InvalidDataException Corrupt(string stateName, GrainId grainId, string problem) =>
        new($"The row of grain state '{stateName}' of grain {grainId} in table '{TableName}' is not one this provider wrote: {problem}.");

    private static string ChunkName(int index) => ChunkPropertyPrefix + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    // A 404 from an insert (or a TableNotFound from anything) means the table is gone, not that a version changed.
    private static bool IsVersionConflict(RequestFailedException e, string? expectedETag) => expectedETag is null
        ? e.Status == 409 && e.ErrorCode == TableErrorCode.EntityAlreadyExists.ToString()
        : e.Status == 412 || (e.Status == 404 && e.ErrorCode != TableErrorCode.TableNotFound.ToString());

    private async Task<InconsistentStateException> ConflictAsync(
        string operation, string partitionKey, string rowKey, string stateName, GrainId grainId, string? expectedETag,
        RequestFailedException e, CancellationToken cancellationToken)
    {
        // Only the failure path pays for this extra read, so the exception can say which version the table now holds.
        // It is diagnostic: if it fails too, the conflict is still reported, without the stored ETag.
        string? stored = null;
        if (e.Status != 404)
        {
            try
            {
                stored = await StoredETagAsync(partitionKey, rowKey, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException lookup)
            {
                LogStorageFailed(lookup, "look up the stored ETag of", _name, grainId, stateName, TableName, lookup.Status, lookup.ErrorCode);
            }
        }

        return Conflict(operation, stateName, grainId, stored, expectedETag, e);
    }

    private InconsistentStateException Conflict(string operation, string stateName, GrainId grainId, string? storedETag, string? expectedETag, RequestFailedException? storageException)
    {
        LogVersionConflict(_name, operation, grainId, stateName, TableName, storedETag, expectedETag);
        var message = $"Azure table grain storage '{_name}' refused to {operation} grain state '{stateName}' of grain {grainId}: "
            + $"the grain held {(expectedETag is null ? "no record" : $"ETag {expectedETag}")}, table '{TableName}' holds {(storedETag is null ? "no record" : $"ETag {storedETag}")}.";
        return storageException is null
            ? new InconsistentStateException(message, storedETag, expectedETag)
            : new InconsistentStateException(message, storedETag, expectedETag, storageException);
    }

    private async Task<string?> StoredETagAsync(string partitionKey, string rowKey, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, [ChunkCountProperty], cancellationToken).ConfigureAwait(false);
        return response.HasValue ? response.Value!.ETag.ToString() : null;
    }

    private void ResetToDefault<T>(IGrainState<T> grainState)
    {
        grainState.State = CreateDefault<T>();
        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    private T CreateDefault<T>() => _activatorProvider.GetActivator<T>().Create();

    [LoggerMessage(Level = LogLevel.Information, Message = "Azure table grain storage {ProviderName} is ready on table {TableName}")]
    private partial void LogTableReady(string providerName, string tableName);

    [LoggerMessage(Level = LogLevel.Error, Message = "Azure table grain storage {ProviderName} could not create table {TableName}: status {Status}, error {ErrorCode}")]
    private partial void LogTableCreationFailed(Exception exception, string providerName, string tableName, int status, string? errorCode);

    [LoggerMessage(Level = LogLevel.Trace, Message = "Reading grain state {StateName} of grain {GrainId} from table {TableName} ({ProviderName})")]
    private partial void LogReading(string providerName, GrainId grainId, string stateName, string tableName);

    [LoggerMessage(Level = LogLevel.Trace, Message = "Writing grain state {StateName} of grain {GrainId} to table {TableName} ({ProviderName}) over ETag {ETag}")]
    private partial void LogWriting(string providerName, GrainId grainId, string stateName, string tableName, string? eTag);

    [LoggerMessage(Level = LogLevel.Trace, Message = "Clearing grain state {StateName} of grain {GrainId} in table {TableName} ({ProviderName}) at ETag {ETag}")]
    private partial void LogClearing(string providerName, GrainId grainId, string stateName, string tableName, string? eTag);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Azure table grain storage {ProviderName} refused to {Operation} grain state {StateName} of grain {GrainId} in table {TableName}: stored ETag {StoredETag}, grain's ETag {CurrentETag}")]
    private partial void LogVersionConflict(string providerName, string operation, GrainId grainId, string stateName, string tableName, string? storedETag, string? currentETag);

    [LoggerMessage(Level = LogLevel.Error, Message = "Azure table grain storage {ProviderName} refused grain state {StateName} of grain {GrainId} for table {TableName}: {Size} bytes serialized, limit {Limit}")]
    private partial void LogStateTooLarge(string providerName, GrainId grainId, string stateName, string tableName, int size, int limit);

    [LoggerMessage(Level = LogLevel.Error, Message = "Azure table grain storage {ProviderName} failed to {Operation} grain state {StateName} of grain {GrainId} in table {TableName}: status {Status}, error {ErrorCode}")]
    private partial void LogStorageFailed(Exception exception, string operation, string providerName, GrainId grainId, string stateName, string tableName, int status, string? errorCode);
}
