using Azure;
using Azure.Data.Tables;
using Billing.Notifications;
using Billing.Rules;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Billing.Payments;

/// <summary>
/// The retention sweep (docs/payments.md, "Retention"): one grain for the service, woken by its reminder. Each tick deletes
/// at most <see cref="RetentionOptions.BatchSize"/> rows of each kind whose retention has passed: idempotency keys
/// after their last use, webhook event ids after they were applied, sent emails after they were sent (and outbox events
/// none of whose emails remain). Stateless: the rows' own times decide, so a missed or doubled tick changes nothing.
/// </summary>
public sealed partial class RetentionGrain(
    TableServiceClient tables,
    OutboxTable outbox,
    BillingClock clock,
    IOptions<RetentionOptions> options,
    ILogger<RetentionGrain> logger) : Grain, IRetentionGrain, IRemindable
{
    private const string ReminderName = "retention-sweep";

    private RetentionOptions Options => options.Value;

    async Task IRetentionGrain.Start()
    {
        // The first tick after one interval: a silo that restarts often does not sweep at every start.
        if (await this.GetReminder(ReminderName) is null)
            await this.RegisterOrUpdateReminder(ReminderName, Options.SweepInterval, Options.SweepInterval);
    }

    Task<RetentionSweep> IRetentionGrain.Sweep() => SweepAsync();

    async Task IRemindable.ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == ReminderName)
            await SweepAsync();
    }

    private async Task<RetentionSweep> SweepAsync()
    {
        var now = clock.UtcNow;
        var keys = await PurgeIdempotencyKeysAsync(now);
        var webhooks = await PurgeWebhookEventsAsync(now);
        var (emails, events) = await PurgeOutboxAsync(now);
        var sweep = new RetentionSweep(keys, webhooks, emails, events);
        if (keys + webhooks + emails + events > 0)
            LogSwept(keys, webhooks, emails, events);
        return sweep;
    }

    /// <summary>
    /// Keys whose last use is older than their retention. The query bounds candidates by <c>StartedAt</c> (set on every
    /// row, never after the last use); a key replayed since is kept. The delete is conditioned on the row's ETag, so a key
    /// used again between the read and the delete stays too.
    /// </summary>
    private async Task<int> PurgeIdempotencyKeysAsync(DateTimeOffset now)
    {
        var table = tables.GetTableClient(RetainedTables.Idempotency);
        var retention = Options.IdempotencyKeys;
        // Property names are not values: only the cutoff goes through the filter's escaping.
        var filter = $"{RetainedTables.StartedAt} lt " + TableClient.CreateQueryFilter($"{RetentionRules.Cutoff(now, retention)}");
        var deleted = 0;
        var scanned = 0;
        try
        {
            await foreach (var row in table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(Options.BatchSize, 1000), select: ["PartitionKey", "RowKey", RetainedTables.StartedAt, RetainedTables.LastUsedAt]))
            {
                // Keys still in use do not count against the batch, but the scan is bounded too.
                if (++scanned > Options.BatchSize * 4)
                    break;
                var lastUse = RetentionRules.LastUse(row.GetDateTimeOffset(RetainedTables.StartedAt) ?? DateTimeOffset.MinValue, row.GetDateTimeOffset(RetainedTables.LastUsedAt));
                if (!RetentionRules.Expired(lastUse, now, retention))
                    continue;
                if (await TryDeleteAsync(table, row))
                    deleted++;
                if (deleted == Options.BatchSize)
                    break;
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // The API never wrote a key yet: nothing to keep, nothing to purge.
        }

        return deleted;
    }

    /// <summary>Webhook event ids applied longer ago than their retention (beyond the gateway's redelivery horizon).</summary>
    private async Task<int> PurgeWebhookEventsAsync(DateTimeOffset now)
    {
        var table = tables.GetTableClient(RetainedTables.WebhookEvents);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {RetainedTables.WebhookPartition}")
            + $" and {RetainedTables.ReceivedAt} lt " + TableClient.CreateQueryFilter($"{RetentionRules.Cutoff(now, Options.WebhookEvents)}");
        var deleted = 0;
        try
        {
            await foreach (var row in table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(Options.BatchSize, 1000), select: ["PartitionKey", "RowKey"]))
            {
                if (await TryDeleteAsync(table, row))
                    deleted++;
                if (deleted == Options.BatchSize)
                    break;
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // No webhook was ever received.
        }

        return deleted;
    }

    /// <summary>Sent emails, then events left without emails, shard by shard, within one batch for the whole outbox.</summary>
    private async Task<(int Emails, int Events)> PurgeOutboxAsync(DateTimeOffset now)
    {
        var cutoff = RetentionRules.Cutoff(now, Options.SentEmails);
        int emails = 0, events = 0;
        for (var shard = 0; shard < OutboxShards.Count && emails < Options.BatchSize; shard++)
            emails += await outbox.PurgeSentAsync(shard, cutoff, Options.BatchSize - emails);
        for (var shard = 0; shard < OutboxShards.Count && events < Options.BatchSize; shard++)
            events += await outbox.PurgeClosedEventsAsync(shard, cutoff, Options.BatchSize - events);
        return (emails, events);
    }

    /// <summary>Deletes a row unless it changed since it was read (then it is in use again, and kept).</summary>
    private static async Task<bool> TryDeleteAsync(TableClient table, TableEntity row)
    {
        try
        {
            await table.DeleteEntityAsync(row.PartitionKey, row.RowKey, row.ETag);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "RetentionGrain: swept {IdempotencyKeys} idempotency key(s), {WebhookEvents} webhook event id(s), {SentEmails} sent email(s), {OutboxEvents} outbox event(s)")]
    private partial void LogSwept(int idempotencyKeys, int webhookEvents, int sentEmails, int outboxEvents);
}
