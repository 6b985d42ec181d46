using Azure;
using Azure.Data.Tables;
using Billing.Payments;
using Billing.Storage.Shared;

namespace Billing.Api.Idempotency;

/// <summary>What the store knows of a key when a request arrives.</summary>
public enum IdempotencyBegin
{
    /// <summary>First use (or an abandoned attempt taken over): run the request.</summary>
    Started = 0,

    /// <summary>Done before with the same request: replay its answer.</summary>
    Replay = 1,

    /// <summary>Used before with another request: 422.</summary>
    Mismatch = 2,

    /// <summary>The first request with this key is still running: 409.</summary>
    InFlight = 3,
}

/// <summary>A stored answer: enough to send the same response again.</summary>
public sealed record StoredResponse(int Status, string? ContentType, string? Location, byte[] Body);

/// <summary>
/// Idempotency keys and the answers they produced, durably in the <c>Idempotency</c> table: partition = caller,
/// row = key, so two callers never share a key. A request is recorded as in flight before it runs and replaced by its
/// answer after; an in-flight record older than <see cref="InFlightLease"/> (the API died mid-request) may be taken
/// over, which is safe because the grains behind every money-moving call are idempotent on ids derived from the key.
/// </summary>
public sealed class IdempotencyStore(TableServiceClient service, TimeProvider time)
{
    public const string TableName = RetainedTables.Idempotency;
    public static readonly TimeSpan InFlightLease = TimeSpan.FromMinutes(5);

    /// <summary>Answers larger than this are not kept (replays get 409 instead of a truncated body); ours are a few KB.</summary>
    private const int MaxStoredBody = 60_000;

    private readonly TableClient _table = service.GetTableClient(TableName);
    private readonly Lazy<Task> _created = new(() => service.GetTableClient(TableName).CreateIfNotExistsAsync());

    public async Task<(IdempotencyBegin Outcome, StoredResponse? Response)> BeginAsync(string caller, string key, string fingerprint, CancellationToken cancellationToken)
    {
        await _created.Value;
        var (pk, rk) = Keys(caller, key);
        var now = time.GetUtcNow();
        var row = new TableEntity(pk, rk) { ["Fingerprint"] = fingerprint, ["State"] = "InFlight", [RetainedTables.StartedAt] = now, [RetainedTables.LastUsedAt] = now };
        try
        {
            await _table.AddEntityAsync(row, cancellationToken);
            return (IdempotencyBegin.Started, null);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
        }

        var existing = (await _table.GetEntityAsync<TableEntity>(pk, rk, cancellationToken: cancellationToken)).Value;
        if (existing.GetString("Fingerprint") != fingerprint)
            return (IdempotencyBegin.Mismatch, null);
        if (existing.GetString("State") == "Done")
        {
            await TouchAsync(existing, cancellationToken);
            return (IdempotencyBegin.Replay, new StoredResponse(existing.GetInt32("Status") ?? 200, existing.GetString("ContentType"), existing.GetString("Location"), existing.GetBinary("Body") ?? []));
        }

        if (time.GetUtcNow() - (existing.GetDateTimeOffset(RetainedTables.StartedAt) ?? DateTimeOffset.MinValue) < InFlightLease)
            return (IdempotencyBegin.InFlight, null);
        try
        {
            await _table.UpdateEntityAsync(row, existing.ETag, TableUpdateMode.Replace, cancellationToken);
            return (IdempotencyBegin.Started, null);
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            return (IdempotencyBegin.InFlight, null);
        }
    }

    public async Task CompleteAsync(string caller, string key, string fingerprint, StoredResponse response, CancellationToken cancellationToken)
    {
        var (pk, rk) = Keys(caller, key);
        var row = new TableEntity(pk, rk)
        {
            ["Fingerprint"] = fingerprint,
            ["State"] = response.Body.Length <= MaxStoredBody ? "Done" : "InFlight",
            [RetainedTables.StartedAt] = time.GetUtcNow(),
            [RetainedTables.LastUsedAt] = time.GetUtcNow(),
            ["Status"] = response.Status,
            ["ContentType"] = response.ContentType,
            ["Location"] = response.Location,
            ["Body"] = response.Body.Length <= MaxStoredBody ? response.Body : null,
        };
        await _table.UpsertEntityAsync(row, TableUpdateMode.Replace, cancellationToken);
    }

    /// <summary>
    /// A replay is a use: the key is kept for its whole retention after it (Retention:IdempotencyKeys). Best effort: the
    /// answer is replayed from what was read even if the key was purged a moment ago.
    /// </summary>
    private async Task TouchAsync(TableEntity existing, CancellationToken cancellationToken)
    {
        try
        {
            await _table.UpdateEntityAsync(new TableEntity(existing.PartitionKey, existing.RowKey) { [RetainedTables.LastUsedAt] = time.GetUtcNow() }, ETag.All, TableUpdateMode.Merge, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
        }
    }

    /// <summary>The request failed before answering: forget the key so that a retry runs it again.</summary>
    public async Task AbandonAsync(string caller, string key)
    {
        var (pk, rk) = Keys(caller, key);
        await _table.DeleteEntityAsync(pk, rk);
    }

    private static (string, string) Keys(string caller, string key) => (TableKeys.Bounded(caller), TableKeys.Bounded(key));
}
