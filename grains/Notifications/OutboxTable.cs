using Azure;
using Azure.Data.Tables;
using Billing.Storage.Shared;

namespace Billing.Notifications;

/// <summary>An accepted billing event waiting to be turned into messages (or done).</summary>
public sealed record OutboxEventRow(string EventId, string EventType, byte[] Data, bool Open, int Attempts, ETag ETag);

/// <summary>One email of the outbox, as stored.</summary>
public sealed record OutboxMessageRow(
    string Key,
    string EventId,
    string EventType,
    string WorkspaceId,
    EmailTemplate Template,
    string Recipient,
    string? To,
    OutboxStatus Status,
    int Attempts,
    DateTimeOffset CreatedAt,
    DateTimeOffset? DueAt,
    DateTimeOffset? SentAt,
    string? LastError,
    string MimeMessageId,
    ETag ETag)
{
    /// <summary>When the message was last handed to the mail server with its outcome not yet recorded; null otherwise.</summary>
    public DateTimeOffset? HandedOverAt { get; init; }

    /// <summary>Names that hand-over, so a writer whose claim's reply was lost recognises its own claim in the row.</summary>
    public string? HandOverId { get; init; }

    /// <summary>The row with no hand-over claim: its send ended (sent, failed, held) or an operator retries it.</summary>
    public OutboxMessageRow Released() => this with { HandedOverAt = null, HandOverId = null };

    public OutboxMessageView View() =>
        new(Key, EventId, EventType, WorkspaceId, Template, Recipient, To, Status, Attempts, CreatedAt, Status == OutboxStatus.Pending ? DueAt : null, SentAt, LastError, MimeMessageId);
}

/// <summary>
/// The layout of the <c>Outbox</c> table (E2, E3). One partition per shard (<c>s{n}</c>), written only by that shard's
/// grain, except for the insert of a new event row by the sink (see <see cref="Partition"/>):
/// <list type="bullet">
/// <item><c>e~{event id}</c>: the accepted event (serialized), open until its messages exist. Inserting it twice fails
/// with 409, which is how a retried event is recognised (E2).</item>
/// <item><c>m~{event hash}-{recipient hash}</c>: one row per email; all emails of one event are one key range, so the
/// expansion of an interrupted event finds what it already wrote.</item>
/// </list>
/// <c>Open</c> and <c>DueAt</c> make "what is due now" one filtered query of the partition.
/// </summary>
public sealed class OutboxTable(TableServiceClient service, string serviceId) : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly string _partitionPrefix = TableKeys.Escape(serviceId) + "_s";

    public const string TableName = "Outbox";
    private const int MaxChunk = 64 * 1024;
    private const int MaxChunks = 15;
    private const int MaxErrorLength = 2000;

    public TableClient Client { get; } = service.GetTableClient(TableName);

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(OutboxTable), ServiceLifecycleStage.ApplicationServices, async ct => await Client.CreateIfNotExistsAsync(ct));

    /// <summary>
    /// <c>{service id}_s{shard}</c>: shard grains have the same keys in every Orleans service, so the service id keeps
    /// two services on one storage account (two environments, parallel test clusters) out of each other's outbox.
    /// </summary>
    public string Partition(int shard) => _partitionPrefix + shard.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static string EventRowKey(string eventId) => "e~" + TableKeys.Bounded(eventId);

    public static string MessageRowKey(string key) => "m~" + key;

    /// <summary>E2: stores a newly accepted event; false when the event id was accepted before.</summary>
    public async Task<bool> TryAddEventAsync(int shard, BillingEvent billingEvent, byte[] data, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (data.Length > MaxChunk * MaxChunks)
            throw new InvalidOperationException($"Billing event {billingEvent.EventId} is {data.Length} bytes serialized; the outbox stores at most {MaxChunk * MaxChunks}.");
        var row = new TableEntity(Partition(shard), EventRowKey(billingEvent.EventId))
        {
            ["Kind"] = "event",
            ["EventId"] = billingEvent.EventId,
            ["EventType"] = billingEvent.GetType().Name,
            ["WorkspaceId"] = billingEvent.WorkspaceId,
            ["Open"] = true,
            ["DueAt"] = now,
            ["ReceivedAt"] = now,
            ["Attempts"] = 0,
        };
        for (var i = 0; i * MaxChunk < data.Length; i++)
            row[$"Data{i}"] = data.AsSpan(i * MaxChunk, Math.Min(MaxChunk, data.Length - (i * MaxChunk))).ToArray();
        try
        {
            await Client.AddEntityAsync(row, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return false;
        }
    }

    public async Task<OutboxEventRow?> GetEventAsync(int shard, string eventId, CancellationToken cancellationToken = default)
    {
        var response = await Client.GetEntityIfExistsAsync<TableEntity>(Partition(shard), EventRowKey(eventId), cancellationToken: cancellationToken);
        return response.HasValue ? ReadEvent(response.Value!) : null;
    }

    /// <summary>Open events and pending messages whose due date has come, oldest due first.</summary>
    public async Task<(List<OutboxEventRow> Events, List<OutboxMessageRow> Messages)> DueAsync(int shard, DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        var events = new List<OutboxEventRow>();
        var messages = new List<OutboxMessageRow>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition(shard)} and Open eq true and DueAt le {now}");
        await foreach (var row in Client.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            if (row.RowKey.StartsWith("e~", StringComparison.Ordinal))
                events.Add(ReadEvent(row));
            else if (TryReadMessage(row) is { } message)
                messages.Add(message);
            else
                await DeadLetterUnreadableAsync(row, cancellationToken);
            if (events.Count + messages.Count >= limit)
                break;
        }

        messages.Sort((a, b) => Nullable.Compare(a.DueAt, b.DueAt));
        return (events, messages);
    }

    /// <summary>The keys of the messages already written for the event with this hash (an interrupted expansion left them).</summary>
    public async Task<HashSet<string>> MessageKeysOfEventAsync(int shard, string eventHash, CancellationToken cancellationToken = default)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var from = MessageRowKey(eventHash + "-");
        var to = MessageRowKey(eventHash + ".");
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition(shard)} and RowKey ge {from} and RowKey lt {to}");
        await foreach (var row in Client.QueryAsync<TableEntity>(filter, select: ["RowKey"], cancellationToken: cancellationToken))
            keys.Add(row.RowKey[2..]);
        return keys;
    }

    /// <summary>
    /// Writes the new messages of an event and closes it. The close is in the last transaction and conditioned on the
    /// event row's ETag, so an event is closed only when all its messages exist, and never by two writers.
    /// </summary>
    public async Task CommitExpansionAsync(int shard, OutboxEventRow ev, IReadOnlyList<OutboxMessageRow> messages, CancellationToken cancellationToken = default)
    {
        var close = new TableEntity(Partition(shard), EventRowKey(ev.EventId)) { ["Open"] = false, ["ExpandedAt"] = messages.Count > 0 ? messages[0].CreatedAt : null };
        var chunks = messages.Chunk(99).ToList();
        if (chunks.Count == 0)
            chunks.Add([]);
        for (var i = 0; i < chunks.Count; i++)
        {
            var actions = chunks[i].Select(m => new TableTransactionAction(TableTransactionActionType.Add, ToEntity(shard, m))).ToList();
            if (i == chunks.Count - 1)
                actions.Add(new TableTransactionAction(TableTransactionActionType.UpdateMerge, close, ev.ETag));
            await Client.SubmitTransactionAsync(actions, cancellationToken);
        }
    }

    /// <summary>Records a failed expansion (an owner could not be looked up): tried again at <paramref name="dueAt"/>.</summary>
    public Task DeferEventAsync(int shard, OutboxEventRow ev, DateTimeOffset dueAt, string error, CancellationToken cancellationToken = default) =>
        Client.UpdateEntityAsync(new TableEntity(Partition(shard), EventRowKey(ev.EventId))
        {
            ["DueAt"] = dueAt,
            ["Attempts"] = ev.Attempts + 1,
            ["LastError"] = Truncate(error),
        }, ev.ETag, TableUpdateMode.Merge, cancellationToken);

    public async Task<OutboxMessageRow?> GetMessageAsync(int shard, string key, CancellationToken cancellationToken = default)
    {
        var response = await Client.GetEntityIfExistsAsync<TableEntity>(Partition(shard), MessageRowKey(key), cancellationToken: cancellationToken);
        return response.HasValue ? ReadMessage(response.Value!) : null;
    }

    /// <summary>Replaces the message row if nobody changed it since it was read (ETag); answers the new row.</summary>
    public async Task<OutboxMessageRow> UpdateMessageAsync(int shard, OutboxMessageRow message, CancellationToken cancellationToken = default)
    {
        var response = await Client.UpdateEntityAsync(ToEntity(shard, message), message.ETag, TableUpdateMode.Replace, cancellationToken);
        return message with { ETag = response.Headers.ETag ?? default };
    }

    /// <summary>How many messages of a shard have <paramref name="status"/>; reads keys only.</summary>
    public async Task<long> CountAsync(int shard, OutboxStatus status, CancellationToken cancellationToken = default)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition(shard)} and Status eq {status.ToString()}");
        long count = 0;
        await foreach (var _ in Client.QueryAsync<TableEntity>(filter, select: ["RowKey"], cancellationToken: cancellationToken))
            count++;
        return count;
    }

    public async Task<List<OutboxMessageRow>> ListAsync(int shard, OutboxStatus status, CancellationToken cancellationToken = default)
    {
        var rows = new List<OutboxMessageRow>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition(shard)} and Status eq {status.ToString()}");
        await foreach (var row in Client.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
            rows.Add(ReadMessage(row));
        return rows;
    }

    /// <summary>
    /// Retention: deletes at most <paramref name="limit"/> sent messages of a shard sent before <paramref name="cutoff"/>.
    /// A sent row is final (only dead ones are retried), so no other writer races the delete.
    /// </summary>
    public async Task<int> PurgeSentAsync(int shard, DateTimeOffset cutoff, int limit, CancellationToken cancellationToken = default)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition(shard)} and Status eq {nameof(OutboxStatus.Sent)} and SentAt lt {cutoff}");
        var keys = new List<string>();
        await foreach (var row in Client.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(limit, 1000), select: ["RowKey"], cancellationToken: cancellationToken))
        {
            keys.Add(row.RowKey);
            if (keys.Count == limit)
                break;
        }

        await DeleteAsync(shard, keys, cancellationToken);
        return keys.Count;
    }

    /// <summary>
    /// Retention: deletes at most <paramref name="limit"/> closed events received before <paramref name="cutoff"/> that no
    /// message row refers to any more (all were sent and purged, or none was planned). An event with a dead or pending
    /// message stays: a retry renders from it.
    /// </summary>
    public async Task<int> PurgeClosedEventsAsync(int shard, DateTimeOffset cutoff, int limit, CancellationToken cancellationToken = default)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition(shard)} and Kind eq {"event"} and Open eq false and ReceivedAt lt {cutoff}");
        var keys = new List<string>();
        await foreach (var row in Client.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(limit, 1000), select: ["RowKey", "EventId"], cancellationToken: cancellationToken))
        {
            if ((await MessageKeysOfEventAsync(shard, OutboxShards.EventHash(row.GetString("EventId")), cancellationToken)).Count == 0)
                keys.Add(row.RowKey);
            if (keys.Count == limit)
                break;
        }

        await DeleteAsync(shard, keys, cancellationToken);
        return keys.Count;
    }

    /// <summary>Deletes rows of one shard's partition, up to 100 per entity-group transaction.</summary>
    private async Task DeleteAsync(int shard, List<string> rowKeys, CancellationToken cancellationToken)
    {
        foreach (var chunk in rowKeys.Chunk(100))
            await Client.SubmitTransactionAsync(chunk.Select(rk => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(Partition(shard), rk), ETag.All)), cancellationToken);
    }

    public static byte[] EventData(TableEntity row)
    {
        using var buffer = new MemoryStream();
        for (var i = 0; i < MaxChunks && row.GetBinary($"Data{i}") is { } chunk; i++)
            buffer.Write(chunk);
        return buffer.ToArray();
    }

    public static string Truncate(string error) => error.Length <= MaxErrorLength ? error : error[..MaxErrorLength];

    private static OutboxEventRow ReadEvent(TableEntity row) =>
        new(row.GetString("EventId"), row.GetString("EventType") ?? "", EventData(row), row.GetBoolean("Open") ?? false, row.GetInt32("Attempts") ?? 0, row.ETag);

    private TableEntity ToEntity(int shard, OutboxMessageRow m) => new(Partition(shard), MessageRowKey(m.Key))
    {
        ["Kind"] = "message",
        ["EventId"] = m.EventId,
        ["EventType"] = m.EventType,
        ["WorkspaceId"] = m.WorkspaceId,
        ["Template"] = m.Template.ToString(),
        ["Recipient"] = m.Recipient,
        ["To"] = m.To,
        ["Status"] = m.Status.ToString(),
        ["Open"] = m.Status == OutboxStatus.Pending,
        ["Attempts"] = m.Attempts,
        ["CreatedAt"] = m.CreatedAt,
        ["DueAt"] = m.DueAt,
        ["SentAt"] = m.SentAt,
        ["LastError"] = m.LastError is { } e ? Truncate(e) : null,
        ["MimeMessageId"] = m.MimeMessageId,
        ["HandedOverAt"] = m.HandedOverAt,
        ["HandOverId"] = m.HandOverId,
    };

    /// <summary>A row that is not a message (a template or status this version does not know), or null.</summary>
    private static OutboxMessageRow? TryReadMessage(TableEntity row) =>
        Enum.TryParse<EmailTemplate>(row.GetString("Template"), out _) && Enum.TryParse<OutboxStatus>(row.GetString("Status"), out _)
        && row.GetString("Recipient") is not null && row.GetString("EventId") is not null
            ? ReadMessage(row)
            : null;

    /// <summary>
    /// A due row that cannot be read would be read again by every pass: it is closed as dead (kept for an operator to
    /// look at) so that the messages after it are sent.
    /// </summary>
    private async Task DeadLetterUnreadableAsync(TableEntity row, CancellationToken cancellationToken)
    {
        try
        {
            await Client.UpdateEntityAsync(new TableEntity(row.PartitionKey, row.RowKey)
            {
                ["Open"] = false,
                ["Status"] = nameof(OutboxStatus.Dead),
                ["LastError"] = "The stored message could not be read (unknown template, status or recipient).",
            }, row.ETag, TableUpdateMode.Merge, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            // Changed meanwhile: the next pass reads it again.
        }
    }

    private static OutboxMessageRow ReadMessage(TableEntity row) => new(
        row.RowKey[2..],
        row.GetString("EventId"),
        row.GetString("EventType") ?? "",
        row.GetString("WorkspaceId") ?? "",
        Enum.Parse<EmailTemplate>(row.GetString("Template")),
        row.GetString("Recipient"),
        row.GetString("To"),
        Enum.Parse<OutboxStatus>(row.GetString("Status")),
        row.GetInt32("Attempts") ?? 0,
        row.GetDateTimeOffset("CreatedAt") ?? default,
        row.GetDateTimeOffset("DueAt"),
        row.GetDateTimeOffset("SentAt"),
        row.GetString("LastError"),
        row.GetString("MimeMessageId") ?? "",
        row.ETag)
    {
        HandedOverAt = row.GetDateTimeOffset("HandedOverAt"),
        HandOverId = row.GetString("HandOverId"),
    };
}
