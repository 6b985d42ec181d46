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
/// each active end user's latest records (loaded from the day's partition of the <c>Usage</c> table when it activates,
/// then told of every record the silos' filers file there), the message-id look-up for older retries (B4), and the
/// request count of capped plans.
/// </summary>
/// <remarks>
/// It no longer writes the partition: records become durable in the silo journal and the silo's filer files them there
/// (<see cref="Billing.Journal.SiloJournal"/>). Records are appended through this grain only for plans with a request
/// cap, whose count must be kept in one place; then the grain waits in deactivation until what it appended is filed, so
/// the next activation counts it from the totals. Activation waits for the journals of dead silos to be filed.
/// Reentrant so that cursors are answered while a capped plan's record waits for the journal; turns run one at a time.
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
    private DateTimeOffset? _lastAt;
    private long? _monthlyCap;
    private long _requestsEarlierThisMonth;
    private int _filedSinceSweep;
    private Task? _recovery;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _key = this.GetPrimaryKeyString();
        (_appId, _day) = UsageLogKey.Parse(_key);
        _partitionKey = UsageTable.PartitionKey(_appId, _day);
        // Not awaited here: recovering a dead silo's journal tells the usage logs what it filed, this one included, and
        // must not wait for an activation that waits for it. Calls that need the recovered records wait instead, and
        // the partition is read again once (AfterRecoveryAsync).
        var recovered = journal.WhenRecoveredAsync();
        _recovery = recovered.IsCompletedSuccessfully ? null : recovered;
        await LoadAsync(cancellationToken);
        await LoadRequestCapAsync(cancellationToken);
    }

    /// <summary>The day's filed totals and the recent records of the end users active within the retry window.</summary>
    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var totals = await tables.Usage.GetEntityIfExistsAsync<TableEntity>(_partitionKey, UsageTable.TotalsRowKey, cancellationToken: cancellationToken);
        var row = totals.HasValue ? totals.Value : null;
        _filedRequests = UsageTable.ReadTotals(_appId, _day, row).Requests;
        if (row is not null)
            _lastAt = row.GetDateTimeOffset("LastAt");

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
    }

    /// <summary>Completes once the journals of dead silos are filed, having read the partition again if this activation loaded it before.</summary>
    private async Task AfterRecoveryAsync()
    {
        if (_recovery is null)
            return;
        await journal.WhenRecoveredAsync(); // asked again: a recovery that failed is started over
        if (_recovery is not null)
        {
            _recovery = null;
            await LoadAsync(CancellationToken.None);
        }
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
        await AfterRecoveryAsync();
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
        // The index holds what was filed before this activation loaded the partition and every record filed since (the
        // filers tell this grain before a filing pass completes, and a billing-session grain's previous activation
        // waited for that pass): no read is needed, even for an end user never seen.
        await AfterRecoveryAsync();
        return _users.TryGetValue(UserKey(channel, channelUserId), out var user)
            ? new UserCursor(user.Recent[^1], [.. user.Recent])
            : null;
    }

    Task IUsageLogGrain.Filed(IReadOnlyList<UsageRecord> records)
    {
        foreach (var record in records)
        {
            if (record.AppId != _appId || DateOnly.FromDateTime(record.At.UtcDateTime) != _day)
                continue;
            Index(record);
            if (_lastAt is not { } last || record.At > last)
                _lastAt = record.At;
        }

        if (++_filedSinceSweep >= 256)
            Sweep();
        return Task.CompletedTask;
    }

    async Task<UsageRecord?> IUsageLogGrain.Find(string channel, string channelUserId, string messageId, DateTimeOffset at)
    {
        await AfterRecoveryAsync();
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
        _filedSinceSweep = 0;
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
