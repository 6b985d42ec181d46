using System.Security.Cryptography;
using System.Text;
using Billing.Apps;
using Billing.Rules;
using Billing.Telemetry;
using Billing.Usage;
using Billing.Wallets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Billing.Metering;

/// <summary>
/// One end user of one app on one channel: the per-message hot path. It keeps the conversation and its billing
/// sessions in memory (B1), charges a billing session once when it opens (B2, B3), and makes every decision's
/// usage record durable before answering, in the silo journal shared by every app of the silo (no grain call).
/// </summary>
/// <remarks>
/// It persists nothing of its own: where the conversation stands is the latest usage record of this end user,
/// which the usage log of the day hands back from the filed usage partitions when this grain starts over (after the
/// journals of dead silos are filed, and after its previous activation's records were). Ids are derived from the message that opened the
/// conversation or billing session, so a retry after a crash computes the same billing session id and the wallet
/// answers the first charge (B4) instead of charging again. Not reentrant: one end user's messages are decided one
/// after the other.
/// </remarks>
public sealed partial class BillingSessionGrain(
    Billing.Journal.SiloJournal journal,
    BillingClock clock,
    IOptions<MeteringOptions> options,
    BillingMetrics metrics,
    ILogger<BillingSessionGrain> logger) : Grain, IBillingSessionGrain
{
    /// <summary>Decisions answered from memory; older retries are recognised by the usage log (see docs/metering.md).</summary>
    private const int RecentCapacity = 64;

    private const int MaxIdLength = 256;

    /// <summary>How long a deactivation waits for the usage log to take this activation's records (a second path, see OnDeactivateAsync).</summary>
    private static readonly TimeSpan HandOverTimeout = TimeSpan.FromSeconds(2);

    private readonly Dictionary<string, MeterDecision> _recent = new(StringComparer.Ordinal);
    private readonly Queue<(string MessageId, DateTimeOffset At)> _recentOrder = new();
    private AppView? _app;
    private IAppWalletGrain? _wallet;
    private IUsageLogGrain? _log;
    private DateOnly _logDay;
    private bool _cursorLoaded;
    private UsageRecord? _last;

    /// <summary>The records this activation stored, newest last, as many as a usage log keeps per end user.</summary>
    private readonly Queue<UsageRecord> _stored = new(UsageLogGrain.RecentPerUser + 1);

    /// <summary>The latest timestamp of a recorded message of this end user that is not in <see cref="_recent"/>: a message at or before it may be a retry of one.</summary>
    private DateTimeOffset _horizon = DateTimeOffset.MinValue;

    /// <summary>The journal position of the last record this activation appended.</summary>
    private long _lastPosition;

    public override Task OnActivateAsync(CancellationToken cancellationToken) =>
        // Starting over (after a crash, or elsewhere): the journals of dead silos must be in the usage partitions first,
        // or this end user's latest records, and the charges they carry, would be missed.
        journal.WhenRecoveredAsync().WaitAsync(cancellationToken);

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_lastPosition == 0)
            return;
        // The next activation (maybe on another silo) takes where the conversation stands from the usage log of the day,
        // whose index the filing pass tells of these records. A tell can fail (a busy silo, a silo stopping) and the
        // next activation may ask before a retried one lands, and then a retried message would look new (found by the
        // fault simulator after graceful stops): so this activation hands its records over itself, once they are filed.
        await journal.WhenFiledAsync(_lastPosition).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        foreach (var day in _stored.GroupBy(r => DateOnly.FromDateTime(r.At.UtcDateTime)))
        {
            var usageLog = UsageLogKey.For(day.First().AppId, day.Key);
            try
            {
                await GrainFactory.GetGrain<IUsageLogGrain>(usageLog).Filed([.. day]).WaitAsync(HandOverTimeout, cancellationToken);
            }
            catch (Exception e)
            {
                if (cancellationToken.IsCancellationRequested)
                    return; // the silo gives up waiting for deactivations
                // A usage log that cannot be reached now is gone or going: its next activation reads the partition.
                LogHandOverFailed(logger, e, usageLog);
            }
        }
    }

    async Task<MeterDecision> IBillingSessionGrain.Meter(ChannelMessage message)
    {
        var decision = await DecideAsync(message);
        metrics.Decision(decision.IsAllowed, decision.IsAllowed ? null : ReasonTag(decision.Reason));
        if (!decision.IsAllowed)
            LogDenied(logger, message?.AppId, message?.ChannelUserId, decision.MessageId, decision.Reason);
        return decision;
    }

    private async Task<MeterDecision> DecideAsync(ChannelMessage message)
    {
        if (Invalid(message) || BillingSessionKey.For(message) != this.GetPrimaryKeyString())
            return Denied(message, DenialReason.InvalidMessage);
        if (_recent.TryGetValue(message.MessageId, out var answered))
            return answered;

        var now = clock.UtcNow;
        if (message.Timestamp > now + options.Value.MaxClockSkew || message.Timestamp < now - options.Value.RetryWindow)
            return Denied(message, DenialReason.InvalidMessage);
        _app ??= await GrainFactory.GetGrain<IAppGrain>(message.AppId).Get();
        if (_app is null)
            return Denied(message, DenialReason.UnknownApp);
        if (!_cursorLoaded)
        {
            await LoadCursorAsync(message);
            if (_recent.TryGetValue(message.MessageId, out answered))
                return answered;
        }

        if (message.Timestamp <= _horizon && await FindOlderAsync(message) is { } recorded)
            return Remember(Allowed(recorded), recorded.At);

        var record = Place(message);
        var wallet = _wallet ??= GrainFactory.GetGrain<IAppWalletGrain>(message.AppId);
        if (record.OpenedBillingSession)
        {
            var charge = await wallet.ChargeSession(record.BillingSessionId, message.ChannelClass, message.Timestamp);
            if (!charge.Covered)
                return Denied(message, DenialReason.NoCredits); // C5; not remembered, so a retry after funds arrive is decided anew
            record = record with { ChargedUsd = charge.ChargedUsd, PaidUsd = charge.PaidUsd, FreeUsd = charge.FreeUsd };
        }

        if (!options.Value.AllowedRequestsPerMonth.ContainsKey(_app.Plan))
        {
            // The hot path: no other grain, the record is durable in this silo's journal when the answer leaves.
            _lastPosition = await journal.AppendAsync(record);
            return Stored(record);
        }

        // B8: a capped plan's requests are counted in one place, the usage log of the app's day.
        var stored = await UsageLogOf(message).Record(record);
        switch (stored.Outcome)
        {
            case RecordOutcome.RequestLimit:
                if (record.OpenedBillingSession)
                    await wallet.RefundSession(record.BillingSessionId, "Request limit of the plan reached (B8)");
                return Denied(message, DenialReason.RequestLimit);
            case RecordOutcome.Duplicate when stored.Existing is { } first:
                if (record.OpenedBillingSession && first.BillingSessionId != record.BillingSessionId)
                    await wallet.RefundSession(record.BillingSessionId, "Duplicate delivery of an already recorded message (B4)");
                return Remember(Allowed(first), first.At);
            default:
                return Stored(record);
        }
    }

    private MeterDecision Stored(UsageRecord record)
    {
        Advance(record);
        _stored.Enqueue(record);
        if (_stored.Count > UsageLogGrain.RecentPerUser)
            _stored.Dequeue();
        if (record.OpenedBillingSession)
            RecordCharge(record);
        return Remember(Allowed(record), record.At);
    }

    /// <summary>
    /// B4: a message at or before the horizon may be a retry of a record no longer in memory: it is looked up in the
    /// usage partition of its day once this activation's own records are filed there (older ones were filed before it
    /// started). Rare: retries after a restart and late deliveries to an end user with more than 64 recent messages.
    /// </summary>
    private async Task<UsageRecord?> FindOlderAsync(ChannelMessage message)
    {
        if (_lastPosition > 0)
            await journal.WhenFiledAsync(_lastPosition);
        return await UsageLogOf(message).Find(message.Channel, message.ChannelUserId, message.MessageId, message.Timestamp);
    }

    /// <summary>Counted once, when the record of the message that opened the billing session is stored (a replay is not counted).</summary>
    private void RecordCharge(UsageRecord record)
    {
        metrics.SessionOpened(record.ChannelClass == ChannelClass.Voice ? "voice" : "chat");
        metrics.Charged(WalletAccounts.Paid, record.PaidUsd);
        metrics.Charged(WalletAccounts.Free, record.FreeUsd);
    }

    private static string ReasonTag(DenialReason reason) => reason switch
    {
        DenialReason.NoCredits => "no_credits",
        DenialReason.RequestLimit => "request_limit",
        DenialReason.UnknownApp => "unknown_app",
        DenialReason.InvalidMessage => "invalid_message",
        _ => "other",
    };

    [LoggerMessage(Level = LogLevel.Debug, Message = "A billing session could not hand its records to usage log {UsageLog} at deactivation; the filer's tell stands")]
    private static partial void LogHandOverFailed(ILogger logger, Exception exception, string usageLog);

    [LoggerMessage(Level = LogLevel.Debug, Message = "App {AppId} denied message {MessageId} of end user {ChannelUserId}: {Reason}")]
    private static partial void LogDenied(ILogger logger, string? appId, string? channelUserId, string messageId, DenialReason reason);

    /// <summary>B1-B3: where the message falls: the conversation, its 15-minute slice, and whether it opens that slice.</summary>
    private UsageRecord Place(ChannelMessage m)
    {
        var idle = options.Value.IdleTimeout;
        var position = _last is { } last ? new ConversationPosition(last.ConversationStart, last.ConversationLastAt, last.SliceIndex) : null;
        var outcome = BillingSessionRules.Classify(position, m.Timestamp, idle);
        string conversationId;
        DateTimeOffset conversationStart;
        long slice;
        string billingSessionId;
        switch (outcome)
        {
            case SliceOutcome.NewConversation:
                conversationId = DerivedId("cs", m);
                conversationStart = m.Timestamp;
                slice = 0;
                billingSessionId = DerivedId("bs", m);
                break;
            case SliceOutcome.NewSlice:
                conversationId = _last!.ConversationId;
                conversationStart = _last.ConversationStart;
                slice = BillingSessionRules.SliceIndex(conversationStart, m.Timestamp);
                billingSessionId = DerivedId("bs", m);
                break;
            default:
                conversationId = _last!.ConversationId;
                conversationStart = _last.ConversationStart;
                slice = _last.SliceIndex;
                billingSessionId = _last.BillingSessionId;
                break;
        }

        var (sliceStart, sliceEnd) = BillingSessionRules.SliceBounds(conversationStart, slice);
        var lastAt = _last is { } l && outcome != SliceOutcome.NewConversation && l.ConversationLastAt > m.Timestamp ? l.ConversationLastAt : m.Timestamp;
        return new UsageRecord(
            m.MessageId, m.AppId, m.Channel, m.ChannelClass, m.PlatformUserId, m.ChannelUserId, m.Kind, m.Timestamp,
            conversationId, conversationStart, lastAt, billingSessionId, slice, sliceStart, sliceEnd,
            OpenedBillingSession: outcome != SliceOutcome.SameSlice, 0m, 0m, 0m);
    }

    /// <summary>
    /// The usage log of the message's day. References are kept because resolving one costs more than the rest of a
    /// decision (Orleans reads the interface's attributes on every <c>GetGrain</c>; measured, docs/benchmarks.md).
    /// </summary>
    private IUsageLogGrain UsageLogOf(ChannelMessage message)
    {
        var day = DateOnly.FromDateTime(message.Timestamp.UtcDateTime);
        if (_log is null || day != _logDay)
        {
            _log = GrainFactory.GetGrain<IUsageLogGrain>(UsageLogKey.For(message.AppId, day));
            _logDay = day;
        }

        return _log;
    }

    /// <summary>
    /// Starting over: the usage logs of the message's day (and of the day before, shortly after midnight) know this end
    /// user's latest messages. Asking the day before only when it can matter spares most starts a call, and each app an
    /// activation of yesterday's log that reads its partition.
    /// </summary>
    private async Task LoadCursorAsync(ChannelMessage m)
    {
        var days = BillingSessionRules.CursorDays(m.Timestamp, options.Value.RetryWindow, options.Value.MaxClockSkew);
        var cursors = await Task.WhenAll(days.Select(day =>
            GrainFactory.GetGrain<IUsageLogGrain>(UsageLogKey.For(m.AppId, day)).GetCursor(m.Channel, m.ChannelUserId)));
        foreach (var cursor in cursors)
        {
            if (cursor is null)
                continue;
            foreach (var record in cursor.Recent)
            {
                Remember(Allowed(record), record.At);
                Advance(record);
            }

            // The log keeps a few records per end user: older ones may exist, and are looked up when a message is that old.
            if (cursor.Recent.Count >= UsageLogGrain.RecentPerUser && cursor.Recent[0].At > _horizon)
                _horizon = cursor.Recent[0].At;
        }

        _cursorLoaded = true;
    }

    private void Advance(UsageRecord record)
    {
        if (_last is null || record.At >= _last.At)
            _last = record;
    }

    private MeterDecision Remember(MeterDecision decision, DateTimeOffset at)
    {
        if (_recent.TryAdd(decision.MessageId, decision))
        {
            _recentOrder.Enqueue((decision.MessageId, at));
            if (_recentOrder.Count > RecentCapacity)
            {
                var (forgotten, forgottenAt) = _recentOrder.Dequeue();
                _recent.Remove(forgotten);
                if (forgottenAt > _horizon)
                    _horizon = forgottenAt;
            }
        }

        return decision;
    }

    private static bool Invalid(ChannelMessage? m) =>
        m is null
        || !Enum.IsDefined(m.ChannelClass) || !Enum.IsDefined(m.Kind)
        || new[] { m.MessageId, m.AppId, m.Channel, m.ChannelUserId }.Any(v => string.IsNullOrEmpty(v) || v.Length > MaxIdLength)
        || (m.PlatformUserId?.Length ?? 0) > MaxIdLength;

    /// <summary>Deterministic ids: the same opening message always names the same conversation and billing session.</summary>
    private static string DerivedId(string prefix, ChannelMessage m)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{prefix}|{BillingSessionKey.For(m)}|{m.MessageId}"));
        return $"{prefix}_{Convert.ToHexStringLower(hash, 0, 16)}";
    }

    private static MeterDecision Allowed(UsageRecord r) =>
        new(r.MessageId, Verdict.Allowed, DenialReason.None, r.ConversationId, r.BillingSessionId, r.OpenedBillingSession, r.ChargedUsd, r.PaidUsd, r.FreeUsd);

    private static MeterDecision Denied(ChannelMessage? m, DenialReason reason) =>
        new(m?.MessageId ?? "", Verdict.Denied, reason, null, null, false, 0m, 0m, 0m);
}
