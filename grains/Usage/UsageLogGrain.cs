using Azure;
using Azure.Data.Tables;
using Billing.Apps;
using Billing.Metering;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Billing.Usage;

/// <summary>
/// The single writer of one app's usage on one UTC day. Records that arrive while a write is in flight are
/// group-committed together: a few chunk rows and the totals row in one entity-group transaction. A caller's
/// record is acknowledged only after that transaction commits, so every returned decision is durable.
/// </summary>
/// <remarks>
/// Memory holds, per end user active within the retry window, the last few records: enough for a billing-session
/// grain that starts over (after a crash or deactivation) to find where its conversation stands and to recognise a
/// retried message id (B4). On activation that memory is rebuilt from the chunks of the retry window. Reentrant so
/// that callers can join the next batch while one is being written; all turns still run one at a time.
/// </remarks>
[Reentrant]
public sealed partial class UsageLogGrain(
    BillingTables tables,
    IOptions<MeteringOptions> options,
    Billing.Telemetry.BillingMetrics metrics,
    ILogger<UsageLogGrain> logger) : Grain, IUsageLogGrain
{
    /// <summary>
    /// Chunks per entity-group transaction. Azure caps a transaction at 100 entities and 4 MiB of body; chunks of up to
    /// 60 KB travel base64-encoded (80 KB), so 40 of them (3.2 MB) plus the totals row stay under both.
    /// </summary>
    public const int MaxChunksPerTransaction = 40;

    /// <summary>Records remembered per end user: a retry is recognised before the same user has sent this many more.</summary>
    private const int RecentPerUser = 8;

    private readonly Dictionary<string, UserIndex> _users = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Pending> _pendingById = new(StringComparer.Ordinal);
    private readonly List<Pending> _queue = [];
    private string _key = "";
    private string _appId = "";
    private DateOnly _day;
    private string _partitionKey = "";
    private UsageDayTotals _totals = null!;
    private long _chunks;
    private DateTimeOffset? _lastAt;
    private ETag _totalsETag;
    private bool _totalsExist;
    private long? _monthlyCap;
    private long _requestsEarlierThisMonth;
    private Task? _flushing;
    private bool _faulted;
    private int _flushesSinceSweep;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _key = this.GetPrimaryKeyString();
        (_appId, _day) = UsageLogKey.Parse(_key);
        _partitionKey = UsageTable.PartitionKey(_appId, _day);
        var totals = await tables.Usage.GetEntityIfExistsAsync<TableEntity>(_partitionKey, UsageTable.TotalsRowKey, cancellationToken: cancellationToken);
        var row = totals.HasValue ? totals.Value : null;
        _totals = UsageTable.ReadTotals(_appId, _day, row);
        if (row is not null)
        {
            _totalsExist = true;
            _totalsETag = row.ETag;
            _chunks = row.GetInt64("Chunks") ?? 0;
            _lastAt = row.GetDateTimeOffset("LastAt");
        }

        if (_lastAt is { } lastAt)
        {
            var recovered = 0;
            await foreach (var chunk in UsageTable.ChunksSince(tables.Usage, _partitionKey, lastAt - options.Value.RetryWindow).WithCancellation(cancellationToken))
            {
                foreach (var record in UsageTable.ReadChunk(chunk, _appId))
                {
                    Index(record);
                    recovered++;
                }
            }

            LogRecovered(logger, _key, recovered, _users.Count);
        }

        await LoadRequestCapAsync(cancellationToken);
    }

    async Task<RecordResult> IUsageLogGrain.Record(UsageRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (_faulted)
            throw new InvalidOperationException($"Usage log {_key} is reloading after a failed write; retry.");

        if (FindRecorded(record.Channel, record.ChannelUserId, record.MessageId) is { } existing)
            return new RecordResult(RecordOutcome.Duplicate, existing);
        if (_pendingById.TryGetValue(record.MessageId, out var inFlight))
        {
            await inFlight.Completion.Task;
            return new RecordResult(RecordOutcome.Duplicate, inFlight.Record);
        }

        // B8: every user-initiated message is one request; the cap counts those stored and those being stored
        // (queued or in the transaction in flight: both are in _pendingById until they commit).
        if (_monthlyCap is { } cap && _requestsEarlierThisMonth + _totals.Requests + _pendingById.Count >= cap)
            return new RecordResult(RecordOutcome.RequestLimit, null);

        var pending = new Pending(record, UsageRecordCodec.Encode(record));
        _queue.Add(pending);
        _pendingById[record.MessageId] = pending;
        _flushing ??= FlushAsync();
        await pending.Completion.Task;
        return new RecordResult(RecordOutcome.Recorded, null);
    }

    Task<UserCursor?> IUsageLogGrain.GetCursor(string channel, string channelUserId) =>
        Task.FromResult(_users.TryGetValue(UserKey(channel, channelUserId), out var user)
            ? new UserCursor(user.Recent[^1], [.. user.Recent])
            : null);

    Task<UsageDayTotals> IUsageLogGrain.GetTotals() => Task.FromResult(_totals);

    private async Task FlushAsync()
    {
        await GroupCommit.GatherAsync(options.Value.GroupCommitWindow);
        while (_queue.Count > 0 && !_faulted)
        {
            var batch = TakeBatch(out var chunks);
            var totals = Add(_totals, batch.Select(p => p.Record));
            var lastAt = batch.Max(p => p.Record.At);
            lastAt = _lastAt is { } previous && previous > lastAt ? previous : lastAt;
            var actions = new List<TableTransactionAction>(chunks.Count + 1);
            for (var i = 0; i < chunks.Count; i++)
            {
                var chunk = chunks[i];
                actions.Add(new(TableTransactionActionType.Add, UsageTable.Chunk(
                    _partitionKey, _chunks + i + 1, [.. chunk.Select(p => p.Bytes)], chunk.Min(p => p.Record.At), chunk.Max(p => p.Record.At))));
            }

            var totalsRow = UsageTable.Totals(_partitionKey, totals, _chunks + chunks.Count, lastAt);
            actions.Add(_totalsExist
                ? new(TableTransactionActionType.UpdateReplace, totalsRow, _totalsETag)
                : new(TableTransactionActionType.Add, totalsRow));
            try
            {
                var response = await GroupCommit.WriteAsync(metrics, "usage", batch.Count, () => tables.Usage.SubmitTransactionAsync(actions));
                _totalsETag = response.Value[^1].Headers.ETag ?? _totalsETag;
                _totalsExist = true;
                _totals = totals;
                _chunks += chunks.Count;
                _lastAt = lastAt;
                foreach (var pending in batch)
                {
                    Index(pending.Record);
                    _pendingById.Remove(pending.Record.MessageId);
                    pending.Completion.TrySetResult();
                }
            }
            catch (Exception e) when (e is RequestFailedException or TableTransactionFailedException or IOException or TimeoutException or HttpRequestException or OperationCanceledException)
            {
                // The outcome is unknown (a timeout may have committed): fail every caller and start over from storage,
                // where the retried messages will be found if they were stored.
                LogWriteFailed(logger, e, _key, batch.Count);
                _faulted = true;
                foreach (var pending in batch.Concat(_queue))
                    pending.Completion.TrySetException(e);
                _queue.Clear();
                _pendingById.Clear();
                DeactivateOnIdle();
            }

            if (++_flushesSinceSweep >= 256)
                Sweep();
        }

        _flushing = null;
    }

    private List<Pending> TakeBatch(out List<List<Pending>> chunks)
    {
        chunks = [];
        var taken = 0;
        List<Pending>? current = null;
        var currentBytes = 0;
        foreach (var pending in _queue)
        {
            if (current is null || currentBytes + pending.Bytes.Length > UsageTable.MaxChunkBytes)
            {
                if (chunks.Count == MaxChunksPerTransaction)
                    break;
                current = [];
                currentBytes = 0;
                chunks.Add(current);
            }

            current.Add(pending);
            currentBytes += pending.Bytes.Length;
            taken++;
        }

        var batch = _queue.GetRange(0, taken);
        _queue.RemoveRange(0, taken);
        return batch;
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

    private UsageRecord? FindRecorded(string channel, string channelUserId, string messageId) =>
        _users.TryGetValue(UserKey(channel, channelUserId), out var user) ? user.Recent.Find(r => r.MessageId == messageId) : null;

    private void Index(UsageRecord record)
    {
        var key = UserKey(record.Channel, record.ChannelUserId);
        if (!_users.TryGetValue(key, out var user))
            _users[key] = user = new UserIndex();
        user.Recent.Add(record);
        if (user.Recent.Count > RecentPerUser)
            user.Recent.RemoveAt(0);
    }

    /// <summary>Forgets end users silent for longer than the retry window, so memory follows active users, not traffic.</summary>
    private void Sweep()
    {
        _flushesSinceSweep = 0;
        if (_lastAt is not { } lastAt)
            return;
        var horizon = lastAt - options.Value.RetryWindow;
        foreach (var (key, user) in _users.Where(u => u.Value.Recent[^1].At < horizon).ToList())
            _users.Remove(key);
    }

    private async Task LoadRequestCapAsync(CancellationToken cancellationToken)
    {
        var app = await GrainFactory.GetGrain<IAppGrain>(_appId).Get();
        if (app is null || !options.Value.AllowedRequestsPerMonth.TryGetValue(app.Plan, out var cap))
            return;

        _monthlyCap = cap;
        for (var day = new DateOnly(_day.Year, _day.Month, 1); day < _day; day = day.AddDays(1))
        {
            var row = await tables.Usage.GetEntityIfExistsAsync<TableEntity>(UsageTable.PartitionKey(_appId, day), UsageTable.TotalsRowKey, ["Requests"], cancellationToken);
            _requestsEarlierThisMonth += row.HasValue ? row.Value?.GetInt64("Requests") ?? 0 : 0;
        }
    }

    private static string UserKey(string channel, string channelUserId) => $"{channel.Length}:{channel}|{channelUserId}";

    private sealed class UserIndex
    {
        public List<UsageRecord> Recent { get; } = new(RecentPerUser + 1);
    }

    private sealed class Pending(UsageRecord record, byte[] bytes)
    {
        public UsageRecord Record { get; } = record;

        public byte[] Bytes { get; } = bytes;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Usage log {Key} recovered {Records} records of {Users} end users from storage")]
    private static partial void LogRecovered(ILogger logger, string key, int records, int users);

    [LoggerMessage(Level = LogLevel.Error, Message = "Usage log {Key} failed to store a batch of {Count} records; reloading")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, string key, int count);
}
