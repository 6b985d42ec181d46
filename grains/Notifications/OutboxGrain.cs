using Billing.Apps;
using Billing.Errors;
using Billing.Notifications.Delivery;
using Billing.Notifications.Templates;
using Billing.Telemetry;
using Billing.Users;
using Billing.Workspaces;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Serialization;

namespace Billing.Notifications;

/// <summary>
/// One shard of the durable outbox (E2, E3). A pass turns each accepted event into its messages (one per template and
/// recipient, written once), then sends the due messages, recording each outcome in the message's row: sent, pending
/// again with a later due date (back-off), or dead. The reminder and the wake-ups only start passes; the rows decide
/// what is due, so a missed or doubled tick changes nothing, and a restarted silo carries on from the table.
/// Each send is claimed in its row before the mail server sees it, so a send cut short by a crash is found afterwards
/// and held as unconfirmed instead of being sent a second time (see docs/notifications.md).
/// </summary>
public sealed partial class OutboxGrain(
    OutboxTable table,
    IMailTransport transport,
    Serializer serializer,
    BillingClock clock,
    IOptions<NotificationOptions> options,
    BillingMetrics metrics,
    ILogger<OutboxGrain> logger) : Grain, IOutboxGrain, IRemindable
{
    private const string ReminderName = "outbox-delivery";

    /// <summary>Reminders wake at most once a minute in production; the persisted due dates are finer than that.</summary>
    private static readonly TimeSpan ReminderPeriod = TimeSpan.FromMinutes(1);

    /// <summary>Rows read per pass: a larger backlog is worked through in further passes.</summary>
    private const int PassLimit = 200;

    private readonly PortalLinks _links = new(options.Value.PortalBaseUrl);
    private bool _reminderRegistered;
    private bool _passScheduled;
    private IGrainTimer? _timer;

    /// <summary>
    /// This shard's pending messages as this activation has counted them into <c>billing.emails.pending</c>: read from the
    /// table on activation and taken out again on deactivation, so the sum over the silos is the outbox's backlog even
    /// when a shard moves or a silo restarts.
    /// </summary>
    private long _pending;

    private int Shard => (int)this.GetPrimaryKeyLong();

    public override async Task OnActivateAsync(CancellationToken cancellationToken) =>
        CountPending(await table.CountAsync(Shard, OutboxStatus.Pending, cancellationToken));

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        CountPending(-_pending);
        return Task.CompletedTask;
    }

    private void CountPending(long delta)
    {
        _pending += delta;
        metrics.EmailsPending(delta);
    }

    async Task IOutboxGrain.Wake()
    {
        // Registered before the producer's Publish returns, so an accepted event always has a reminder to wake its shard,
        // even if this activation dies before the pass below runs. It stays registered: an idle tick is one query.
        await EnsureReminderAsync();
        SchedulePass();
    }

    Task<int> IOutboxGrain.Deliver() => PassAsync();

    async Task<IReadOnlyList<OutboxMessageView>> IOutboxGrain.List(OutboxStatus status, int limit)
    {
        if (!Enum.IsDefined(status))
            throw BillingException.Invalid("status", "outbox.status.invalid", "The status is pending, sent or dead.");
        if (limit is < 1 or > OutboxShards.MaxListLimit)
            throw BillingException.Invalid("limit", "outbox.limit.invalid", $"A page holds 1 to {OutboxShards.MaxListLimit} messages.");
        var rows = await table.ListAsync(Shard, status);
        return [.. rows.OrderByDescending(r => r.CreatedAt).ThenBy(r => r.Key, StringComparer.Ordinal).Take(limit).Select(r => r.View())];
    }

    async Task<OutboxMessageView> IOutboxGrain.Retry(string messageId)
    {
        if (OutboxShards.OfMessage(messageId) != Shard || await table.GetMessageAsync(Shard, messageId) is not { } row)
            throw BillingException.NotFound("outbox.message.not-found", $"Outbox message '{messageId}' was not found.");
        if (row.Status is not (OutboxStatus.Dead or OutboxStatus.Unconfirmed))
            throw BillingException.Conflict("outbox.message.not-dead", $"Outbox message '{messageId}' is {row.Status}; only dead and unconfirmed messages are retried.");

        // A fresh attempt budget; the last error stays visible until the next attempt replaces it.
        var retried = await table.UpdateMessageAsync(Shard, row.Released() with { Status = OutboxStatus.Pending, Attempts = 0, DueAt = clock.UtcNow });
        CountPending(1);
        LogRetried(logger, Shard, messageId);
        await EnsureReminderAsync();
        SchedulePass();
        return retried.View();
    }

    async Task IRemindable.ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == ReminderName)
            await PassAsync();
    }

    private async Task EnsureReminderAsync()
    {
        if (_reminderRegistered)
            return;
        await this.RegisterOrUpdateReminder(ReminderName, ReminderPeriod, ReminderPeriod);
        _reminderRegistered = true;
    }

    /// <summary>One pass soon, in its own turn: the caller (a producer's Publish) does not wait for the mail server.</summary>
    private void SchedulePass()
    {
        if (_passScheduled)
            return;
        _passScheduled = true;
        _timer?.Dispose();
        _timer = this.RegisterGrainTimer(async _ =>
        {
            _passScheduled = false;
            await PassAsync();
        }, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    private async Task<int> PassAsync()
    {
        var (events, _) = await table.DueAsync(Shard, clock.UtcNow, PassLimit);
        foreach (var ev in events)
            await ExpandAsync(ev);

        var (_, messages) = await table.DueAsync(Shard, clock.UtcNow, PassLimit);
        var sent = 0;
        IMailSession? session = null;
        var cache = new Dictionary<string, BillingEvent?>(StringComparer.Ordinal);
        try
        {
            foreach (var message in messages)
            {
                // A mail server that cannot be reached fails the pass (every message waits for it alike); what fails
                // for one message only is that message's failure (DeliverIsolatedAsync).
                session ??= await transport.OpenAsync(CancellationToken.None);
                if (await DeliverIsolatedAsync(message, session, cache))
                    sent++;
            }
        }
        finally
        {
            if (session is not null)
                await session.DisposeAsync();
        }

        if (events.Count + messages.Count >= PassLimit)
            SchedulePass();
        return sent;
    }

    /// <summary>E1, E2: writes the messages of one accepted event (those not written by an interrupted earlier pass) and closes it.</summary>
    private async Task ExpandAsync(OutboxEventRow row)
    {
        try
        {
            var ev = serializer.Deserialize<BillingEvent>(row.Data)
                ?? throw new InvalidOperationException("The stored event is empty.");
            string? appOwner = null;
            string? workspaceOwner = null;
            if (NotificationPlan.AppOwnerNeeded(ev) is { } appId)
                appOwner = (await GrainFactory.GetGrain<IAppGrain>(appId).Get())?.OwnerUserId;
            if (NotificationPlan.WorkspaceOwnerNeeded(ev))
                workspaceOwner = await GrainFactory.GetGrain<IWorkspaceGrain>(ev.WorkspaceId).GetOwnerUserId();

            var now = clock.UtcNow;
            var existing = await table.MessageKeysOfEventAsync(Shard, OutboxShards.EventHash(ev.EventId));
            var domain = options.Value.EffectiveMessageIdDomain;
            var messages = NotificationPlan.Plan(ev, appOwner, workspaceOwner)
                .Select(p => (Planned: p, Key: DeliveryRules.MessageKey(ev.EventId, p.Template, p.Recipient)))
                .DistinctBy(p => p.Key)
                .Where(p => !existing.Contains(p.Key))
                .Select(p => new OutboxMessageRow(p.Key, ev.EventId, ev.GetType().Name, ev.WorkspaceId, p.Planned.Template, p.Planned.Recipient, null,
                    OutboxStatus.Pending, 0, now, now, null, null, DeliveryRules.MimeMessageId(p.Key, domain), default))
                .ToList();
            await table.CommitExpansionAsync(Shard, row, messages);
            CountPending(messages.Count);
            LogExpanded(logger, Shard, ev.EventId, messages.Count);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // An owner look-up or a storage write failed: the event stays open and is expanded again later. Nothing
            // half-done is lost: the messages already written are found by their keys next time.
            LogExpandFailed(logger, e, Shard, row.EventId);
            var delays = options.Value.EffectiveRetryDelays;
            try
            {
                await table.DeferEventAsync(Shard, row, clock.UtcNow + delays[Math.Min(row.Attempts, delays.Count - 1)], e.Message);
            }
            catch (Azure.RequestFailedException deferFailed)
            {
                LogExpandFailed(logger, deferFailed, Shard, row.EventId);
            }
        }
    }

    /// <summary>
    /// One message whose recipient, event or rendering fails in a way nobody foresaw (a user grain that cannot load, an
    /// event that cannot be read) must not hold up the messages after it: its failure is recorded on its own row,
    /// tried again with the usual back-off and dead-lettered after the last attempt, and the pass goes on.
    /// </summary>
    private async Task<bool> DeliverIsolatedAsync(OutboxMessageRow message, IMailSession session, Dictionary<string, BillingEvent?> cache)
    {
        try
        {
            return await DeliverAsync(message, session, cache);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var attempts = message.Attempts + 1;
            var next = DeliveryRules.NextAttemptAt(attempts, clock.UtcNow, options.Value.MaxAttempts, options.Value.EffectiveRetryDelays);
            var error = $"{e.GetType().Name}: {e.Message}";
            LogSendFailed(logger, Shard, message.Key, attempts, error);
            try
            {
                if (next is null)
                    await DeadAsync(message with { Attempts = attempts }, error);
                else
                    await SaveAsync(message with { Attempts = attempts, DueAt = next, LastError = error });
            }
            catch (Exception saveFailed) when (saveFailed is not OperationCanceledException)
            {
                // Not even the failure could be recorded: the row is unchanged and due, and is tried in a later pass.
                LogSendFailed(logger, Shard, message.Key, attempts, saveFailed.Message);
            }
            return false;
        }
    }

    /// <summary>Sends one due message and records the outcome; true when it was sent.</summary>
    private async Task<bool> DeliverAsync(OutboxMessageRow message, IMailSession session, Dictionary<string, BillingEvent?> cache)
    {
        if (message.HandedOverAt is { } handedOverAt)
            return await UnconfirmedAsync(message, handedOverAt);

        var now = clock.UtcNow;
        string to;
        string? name = null;
        if (Recipients.UserId(message.Recipient) is { } userId)
        {
            if (await GrainFactory.User(userId).Get() is not { } profile)
                return await DeadAsync(message, $"Recipient user '{userId}' has no known email address.");
            to = profile.Email;
            name = profile.DisplayName is { Length: > 0 } n ? n : null;
        }
        else if (message.Recipient.StartsWith(Recipients.EmailPrefix, StringComparison.Ordinal))
        {
            to = message.Recipient[Recipients.EmailPrefix.Length..];
        }
        else
        {
            return await DeadAsync(message, $"Recipient not found: {message.Recipient[Recipients.UnresolvedPrefix.Length..]}.");
        }

        if (!cache.TryGetValue(message.EventId, out var ev))
        {
            ev = await table.GetEventAsync(Shard, message.EventId) is { } row ? serializer.Deserialize<BillingEvent>(row.Data) : null;
            cache[message.EventId] = ev;
        }

        if (ev is null)
            return await DeadAsync(message, "The event of this message is missing from the outbox.");

        MimeKit.MimeMessage mime;
        try
        {
            var email = EmailTemplates.Render(message.Template, ev, message.Recipient, name, _links);
            mime = OutboxMail.Build(options.Value, message, email, to, name);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException or MimeKit.ParseException)
        {
            return await DeadAsync(message with { To = to }, $"Could not build the email: {e.Message}");
        }

        if (await HandOverAsync(message with { To = to }, now) is not { } handed)
            return false; // another activation of this shard (during a membership change) is sending it

        try
        {
            await session.SendAsync(mime, CancellationToken.None);
        }
        catch (MailDeliveryException e)
        {
            // The server said no, or could not be reached: nothing was delivered, so the claim is released.
            var next = e.Permanent ? null : DeliveryRules.NextAttemptAt(handed.Attempts, now, options.Value.MaxAttempts, options.Value.EffectiveRetryDelays);
            LogSendFailed(logger, Shard, message.Key, handed.Attempts, e.Message);
            metrics.Email("failed");
            var released = handed.Released();
            if (next is null)
                return await DeadAsync(released, e.Message);
            await SaveAsync(released with { DueAt = next, LastError = e.Message });
            return false;
        }

        await SaveAsync(handed.Released() with { Status = OutboxStatus.Sent, SentAt = now, DueAt = null, LastError = null });
        metrics.Email("sent");
        CountPending(-1);
        var template = message.Template.ToString();
        LogSent(logger, Shard, message.Key, template);
        return true;
    }

    /// <summary>
    /// Claims the message in its row before the mail server sees it (E2, E3): the attempt is counted and the row is not
    /// due again until <see cref="NotificationOptions.HandOverDeadline"/>. Answers the claimed row, or null when another
    /// writer changed the row first. A claim whose reply was lost (and that the SDK's retry then saw as changed) is
    /// recognised by its id in the row.
    /// </summary>
    private async Task<OutboxMessageRow?> HandOverAsync(OutboxMessageRow message, DateTimeOffset now)
    {
        var claim = message with
        {
            Attempts = message.Attempts + 1,
            DueAt = now + options.Value.HandOverDeadline,
            LastError = $"Handed to the mail server at {now:u}; its answer is not recorded yet.",
            HandedOverAt = now,
            HandOverId = Guid.NewGuid().ToString("N"),
        };
        try
        {
            return await table.UpdateMessageAsync(Shard, claim);
        }
        catch (Azure.RequestFailedException e) when (e.Status == 412)
        {
            var stored = await table.GetMessageAsync(Shard, message.Key);
            if (stored?.HandOverId == claim.HandOverId)
                return stored;
            LogLostRace(logger, Shard, message.Key);
            return null;
        }
    }

    /// <summary>
    /// A claim that outlived its deadline: the send it announced was cut short after the hand-over (the silo stopped, or
    /// the outcome could not be written). The server may have delivered it, and a second copy of a billing email reads
    /// as a second charge, so it is held for an operator instead of being sent again.
    /// </summary>
    private async Task<bool> UnconfirmedAsync(OutboxMessageRow message, DateTimeOffset handedOverAt)
    {
        var reason = $"Handed to the mail server at {handedOverAt:u}, but the outcome was never recorded (the sender stopped mid-send): it may have been delivered. Retry it if the recipient did not get it.";
        LogUnconfirmed(logger, Shard, message.Key, handedOverAt);
        await SaveAsync(message.Released() with { Status = OutboxStatus.Unconfirmed, DueAt = null, LastError = reason });
        metrics.Email("unconfirmed");
        CountPending(-1);
        return false;
    }

    private async Task<bool> DeadAsync(OutboxMessageRow message, string reason)
    {
        LogDead(logger, Shard, message.Key, reason);
        await SaveAsync(message with { Status = OutboxStatus.Dead, DueAt = null, LastError = reason, SentAt = null });
        metrics.Email("dead_lettered");
        CountPending(-1);
        return false;
    }

    private async Task SaveAsync(OutboxMessageRow message)
    {
        try
        {
            await table.UpdateMessageAsync(Shard, message);
        }
        catch (Azure.RequestFailedException e) when (e.Status == 412)
        {
            // Another activation of this shard (during a membership change) recorded this message first: its record stands.
            LogLostRace(logger, Shard, message.Key);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "OutboxGrain {Shard}: event {EventId} became {Count} new message(s)")]
    private static partial void LogExpanded(ILogger logger, int shard, string eventId, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "OutboxGrain {Shard}: event {EventId} could not be expanded; it is tried again later")]
    private static partial void LogExpandFailed(ILogger logger, Exception exception, int shard, string eventId);

    [LoggerMessage(Level = LogLevel.Information, Message = "OutboxGrain {Shard}: message {MessageKey} ({Template}) sent")]
    private static partial void LogSent(ILogger logger, int shard, string messageKey, string template);

    [LoggerMessage(Level = LogLevel.Warning, Message = "OutboxGrain {Shard}: message {MessageKey} attempt {Attempt} failed: {Error}")]
    private static partial void LogSendFailed(ILogger logger, int shard, string messageKey, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "OutboxGrain {Shard}: message {MessageKey} dead-lettered: {Reason}")]
    private static partial void LogDead(ILogger logger, int shard, string messageKey, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "OutboxGrain {Shard}: message {MessageKey} was handed to the mail server at {HandedOverAt} and its outcome never recorded; held as unconfirmed for an operator")]
    private static partial void LogUnconfirmed(ILogger logger, int shard, string messageKey, DateTimeOffset handedOverAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "OutboxGrain {Shard}: dead or unconfirmed message {MessageKey} retried by an operator")]
    private static partial void LogRetried(ILogger logger, int shard, string messageKey);

    [LoggerMessage(Level = LogLevel.Warning, Message = "OutboxGrain {Shard}: message {MessageKey} was recorded by another activation first")]
    private static partial void LogLostRace(ILogger logger, int shard, string messageKey);
}
