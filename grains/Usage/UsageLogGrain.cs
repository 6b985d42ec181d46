using Azure;
using Azure.Data.Tables;
using Billing.Apps;
using Billing.Metering;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Billing.Usage;

/// <summary>
/// The usage of one app on one UTC day, as the billing-session grains and the request cap (B8) need it: an index of
/// each active end user's latest records, rebuilt from the day's partition of the <c>Usage</c> table and refreshed
/// from it on every cursor asked, the message-id look-up for older retries (B4), and the request count of capped plans.
/// </summary>
/// <remarks>
/// It no longer writes the partition: records become durable in the silo journal and the silo's filer files them there
/// (<see cref="Billing.Journal.SiloJournal"/>). Records are appended through this grain only for plans with a request
/// cap, whose count must be kept in one place; then the grain waits in deactivation until what it appended is filed, so
/// the next activation counts it from the totals. Activation waits for the journals of dead silos to be filed.
/// Reentrant so that concurrent cursor requests share one refresh; all turns still run one at a time.
/// </remarks>
[Reentrant]
public sealed partial class UsageLogGrain(
    BillingTables tables,
    Billing.Journal.SiloJournal journal,
    IOptions<MeteringOptions> options,
    ILogger<UsageLogGrain> logger) : Grain, IUsageLogGrain
{
    /// <summary>Records remembered per end user: the cursor a starting billing-session grain reads (older ids are looked up).</summary>
    public const int RecentPerUser = 8;

    private readonly Dictionary<string, UserIndex> _users = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Task<long>> _appending = new(StringComparer.Ordinal);
    private string _key = "";
    private string _appId = "";
    private DateOnly _day;
    private string _partitionKey = "";
    private long _filedRequests;
    private long _appended;
    private long _lastPosition;
    private long _chunksRead;
    private DateTimeOffset? _lastAt;
    private long? _monthlyCap;
    private long _requestsEarlierThisMonth;
    private Task _refreshing = Task.CompletedTask;
    private Task? _nextRefresh;
    private int _refreshesSinceSweep;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _key = this.GetPrimaryKeyString();
        (_appId, _day) = UsageLogKey.Parse(_key);
        _partitionKey = UsageTable.PartitionKey(_appId, _day);
        await journal.WhenRecoveredAsync();
        var totals = await tables.Usage.GetEntityIfExistsAsync<TableEntity>(_partitionKey, UsageTable.TotalsRowKey, cancellationToken: cancellationToken);
        var row = totals.HasValue ? totals.Value : null;
        _filedRequests = UsageTable.ReadTotals(_appId, _day, row).Requests;
        if (row is not null)
        {
            _lastAt = row.GetDateTimeOffset("LastAt");
            _chunksRead = row.GetInt64("Chunks") ?? 0;
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

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // The next activation counts requests from the filed totals: what this one appended must be there first.
        if (_lastPosition > 0)
            await journal.WhenFiledAsync(_lastPosition).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
    }

    async Task<RecordResult> IUsageLogGrain.Record(UsageRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (FindRecorded(record.Channel, record.ChannelUserId, record.MessageId) is { } existing)
            return new RecordResult(RecordOutcome.Duplicate, existing);
        if (_appending.TryGetValue(record.MessageId, out var inFlight))
        {
            await inFlight;
            return new RecordResult(RecordOutcome.Duplicate, FindRecorded(record.Channel, record.ChannelUserId, record.MessageId) ?? record);
        }

        // B8: every user-initiated message is one request; the cap counts those filed and those appended since.
        if (_monthlyCap is { } cap && _requestsEarlierThisMonth + _filedRequests + _appended + _appending.Count >= cap)
            return new RecordResult(RecordOutcome.RequestLimit, null);

        var append = journal.AppendAsync(record);
        _appending[record.MessageId] = append;
        try
        {
            var position = await append;
            _lastPosition = Math.Max(_lastPosition, position);
            _appended++;
            Index(record);
        }
        finally
        {
            _appending.Remove(record.MessageId);
        }

        return new RecordResult(RecordOutcome.Recorded, null);
    }

    async Task<UserCursor?> IUsageLogGrain.GetCursor(string channel, string channelUserId)
    {
        await FreshAsync();
        return _users.TryGetValue(UserKey(channel, channelUserId), out var user)
            ? new UserCursor(user.Recent[^1], [.. user.Recent])
            : null;
    }

    async Task<UsageRecord?> IUsageLogGrain.Find(string channel, string channelUserId, string messageId, DateTimeOffset at)
    {
        if (_lastPosition > 0)
            await journal.WhenFiledAsync(_lastPosition);
        await foreach (var chunk in UsageTable.ChunksSince(tables.Usage, _partitionKey, at))
        {
            foreach (var record in UsageTable.ReadChunk(chunk, _appId))
            {
                if (record.MessageId == messageId && record.ChannelUserId == channelUserId && record.Channel == channel)
                    return record;
            }
        }

        return null;
    }

    async Task<UsageDayTotals> IUsageLogGrain.GetTotals()
    {
        await Billing.Journal.UsageFiling.FileEverywhereAsync(GrainFactory);
        var row = await tables.Usage.GetEntityIfExistsAsync<TableEntity>(_partitionKey, UsageTable.TotalsRowKey);
        return UsageTable.ReadTotals(_appId, _day, row.HasValue ? row.Value : null);
    }

    /// <summary>
    /// A refresh that includes everything filed before this call: one in flight may have started too early, so callers
    /// arriving meanwhile share the next one (concurrent cursor requests cost one storage query, not one each).
    /// </summary>
    private Task FreshAsync()
    {
        if (_nextRefresh is not null)
            return _nextRefresh;
        if (_refreshing.IsCompleted)
            return _refreshing = RefreshAsync();
        return _nextRefresh = RefreshAfterAsync(_refreshing);
    }

    private async Task RefreshAfterAsync(Task previous)
    {
        await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        _nextRefresh = null;
        await (_refreshing = RefreshAsync());
    }

    /// <summary>Indexes the chunks filed since the last read.</summary>
    private async Task RefreshAsync()
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {_partitionKey} and RowKey gt {UsageTable.ChunkRowKey(_chunksRead)} and RowKey lt {"d"}");
        await foreach (var chunk in tables.Usage.QueryAsync<TableEntity>(filter))
        {
            foreach (var record in UsageTable.ReadChunk(chunk, _appId))
            {
                Index(record);
                if (_lastAt is not { } last || record.At > last)
                    _lastAt = record.At;
            }

            _chunksRead = Math.Max(_chunksRead, long.Parse(chunk.RowKey.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture));
        }

        if (++_refreshesSinceSweep >= 256)
            Sweep();
    }

    private UsageRecord? FindRecorded(string channel, string channelUserId, string messageId) =>
        _users.TryGetValue(UserKey(channel, channelUserId), out var user) ? user.Recent.Find(r => r.MessageId == messageId) : null;

    private void Index(UsageRecord record)
    {
        var key = UserKey(record.Channel, record.ChannelUserId);
        if (!_users.TryGetValue(key, out var user))
            _users[key] = user = new UserIndex();
        else if (user.Recent.Exists(r => r.MessageId == record.MessageId))
            return; // appended here, then read back once filed
        // In time order (records are filed in journal order, which across silos is not time order); ties keep arrival order.
        var at = user.Recent.FindLastIndex(r => r.At <= record.At) + 1;
        user.Recent.Insert(at, record);
        if (user.Recent.Count > RecentPerUser)
            user.Recent.RemoveAt(0);
    }

    /// <summary>Forgets end users silent for longer than the retry window, so memory follows active users, not traffic.</summary>
    private void Sweep()
    {
        _refreshesSinceSweep = 0;
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Usage log {Key} recovered {Records} records of {Users} end users from storage")]
    private static partial void LogRecovered(ILogger logger, string key, int records, int users);
}
