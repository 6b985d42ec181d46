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
/// sessions in memory (B1), charges a billing session once when it opens (B2, B3), and stores every decision's
/// usage record before answering (through the app's usage log of that day, which group-commits).
/// </summary>
/// <remarks>
/// It persists nothing of its own: where the conversation stands is the latest usage record of this end user,
/// which the usage log hands back when this grain starts over. Ids are derived from the message that opened the
/// conversation or billing session, so a retry after a crash computes the same billing session id and the wallet
/// answers the first charge (B4) instead of charging again. Not reentrant: one end user's messages are decided one
/// after the other.
/// </remarks>
public sealed partial class BillingSessionGrain(
    BillingClock clock,
    IOptions<MeteringOptions> options,
    BillingMetrics metrics,
    ILogger<BillingSessionGrain> logger) : Grain, IBillingSessionGrain
{
    /// <summary>Decisions answered from memory; older retries are recognised by the usage log (see docs/metering.md).</summary>
    private const int RecentCapacity = 64;

    private const int MaxIdLength = 256;

    private readonly Dictionary<string, MeterDecision> _recent = new(StringComparer.Ordinal);
    private readonly Queue<string> _recentOrder = new();
    private AppView? _app;
    private IAppWalletGrain? _wallet;
    private IUsageLogGrain? _log;
    private DateOnly _logDay;
    private bool _cursorLoaded;
    private UsageRecord? _last;

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

        var record = Place(message);
        var wallet = _wallet ??= GrainFactory.GetGrain<IAppWalletGrain>(message.AppId);
        if (record.OpenedBillingSession)
        {
            var charge = await wallet.ChargeSession(record.BillingSessionId, message.ChannelClass, message.Timestamp);
            if (!charge.Covered)
                return Denied(message, DenialReason.NoCredits); // C5; not remembered, so a retry after funds arrive is decided anew
            record = record with { ChargedUsd = charge.ChargedUsd, PaidUsd = charge.PaidUsd, FreeUsd = charge.FreeUsd };
        }

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
                return Remember(Allowed(first));
            default:
                Advance(record);
                if (record.OpenedBillingSession)
                    RecordCharge(record);
                return Remember(Allowed(record));
        }
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

    /// <summary>Starting over: the usage logs of the message's day and the day before know this end user's latest messages.</summary>
    private async Task LoadCursorAsync(ChannelMessage m)
    {
        var day = DateOnly.FromDateTime(m.Timestamp.UtcDateTime);
        var cursors = await Task.WhenAll(
            GrainFactory.GetGrain<IUsageLogGrain>(UsageLogKey.For(m.AppId, day.AddDays(-1))).GetCursor(m.Channel, m.ChannelUserId),
            GrainFactory.GetGrain<IUsageLogGrain>(UsageLogKey.For(m.AppId, day)).GetCursor(m.Channel, m.ChannelUserId));
        foreach (var record in cursors.Where(c => c is not null).SelectMany(c => c!.Recent))
        {
            Remember(Allowed(record));
            Advance(record);
        }

        _cursorLoaded = true;
    }

    private void Advance(UsageRecord record)
    {
        if (_last is null || record.At >= _last.At)
            _last = record;
    }

    private MeterDecision Remember(MeterDecision decision)
    {
        if (_recent.TryAdd(decision.MessageId, decision))
        {
            _recentOrder.Enqueue(decision.MessageId);
            if (_recentOrder.Count > RecentCapacity)
                _recent.Remove(_recentOrder.Dequeue());
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
