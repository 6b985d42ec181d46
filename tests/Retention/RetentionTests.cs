using Azure.Data.Tables;
using Billing.Api.Idempotency;
using Billing.Notifications;
using Billing.Payments;
using Billing.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace Billing.Tests.Retention;

/// <summary>
/// The retention sweep (docs/payments.md, "Retention") on the fake clock: nothing goes before its time, everything after,
/// at most <c>Retention:BatchSize</c> rows of a kind per tick, and a key still in use stays. The clock starts in 2020,
/// years before any other test's rows in the shared tables, so this sweep can only reach its own.
/// </summary>
public sealed class RetentionTests(RetentionTests.Fixture fx) : IClassFixture<RetentionTests.Fixture>
{
    private const int Batch = 3;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IRetentionGrain Sweeper => fx.Cluster.Client.GetGrain<IRetentionGrain>(0);

    [Fact]
    public async Task Idempotency_keys_go_a_full_retention_after_their_last_use_in_bounded_batches_and_a_replayed_key_stays()
    {
        var store = new IdempotencyStore(fx.Azurite.ServiceClient, fx.Clock);
        var caller = "retention-" + Guid.NewGuid().ToString("N");
        var keys = Enumerable.Range(0, 4).Select(i => $"key-{i}").ToList();
        foreach (var key in keys.Append("replayed"))
        {
            Assert.Equal(IdempotencyBegin.Started, (await store.BeginAsync(caller, key, "fp", Ct)).Outcome);
            await store.CompleteAsync(caller, key, "fp", new StoredResponse(201, "application/json", null, [1, 2, 3]), Ct);
        }

        fx.Clock.Advance(TimeSpan.FromDays(6));
        Assert.Equal(IdempotencyBegin.Replay, (await store.BeginAsync(caller, "replayed", "fp", Ct)).Outcome); // still in use
        fx.Clock.Advance(TimeSpan.FromDays(1) - TimeSpan.FromMinutes(1));
        var early = await Sweeper.Sweep();
        var keptEarly = await KeysAsync(RetainedTables.Idempotency, caller);
        fx.Clock.Advance(TimeSpan.FromMinutes(2)); // 7 days and a minute after the four keys' last use
        var first = await Sweeper.Sweep();
        var second = await Sweeper.Sweep();
        var kept = await KeysAsync(RetainedTables.Idempotency, caller);
        fx.Clock.Advance(TimeSpan.FromDays(6));    // 7 days after the replay
        await Sweeper.Sweep();

        Assert.Equal(5, keptEarly.Count);
        Assert.Equal(0, early.IdempotencyKeys);
        Assert.Equal(Batch, first.IdempotencyKeys);
        Assert.Equal(1, second.IdempotencyKeys);
        Assert.Equal(["replayed"], kept);
        Assert.Empty(await KeysAsync(RetainedTables.Idempotency, caller));
        // Once purged, a key runs its request again: its first use again, not a replay.
        Assert.Equal(IdempotencyBegin.Started, (await store.BeginAsync(caller, "key-0", "fp", Ct)).Outcome);
    }

    [Fact]
    public async Task Webhook_event_ids_are_kept_beyond_the_gateways_retry_horizon_then_go_in_bounded_batches()
    {
        var table = fx.Azurite.ServiceClient.GetTableClient(RetainedTables.WebhookEvents);
        await table.CreateIfNotExistsAsync(Ct);
        var ids = Enumerable.Range(0, 5).Select(i => $"evt_retention_{Guid.NewGuid():N}_{i}").ToList();
        foreach (var id in ids)
            await table.AddEntityAsync(new TableEntity(RetainedTables.WebhookPartition, id) { ["Type"] = "wire_transfer.cleared", [RetainedTables.ReceivedAt] = fx.Clock.GetUtcNow() }, Ct);

        fx.Clock.Advance(TimeSpan.FromDays(4)); // past the gateway's 3-day redelivery horizon, within the 30-day retention
        var early = await Sweeper.Sweep();
        var keptEarly = await CountAsync(table, ids);
        fx.Clock.Advance(TimeSpan.FromDays(26) + TimeSpan.FromMinutes(1)); // 30 days and a minute after they were applied
        var first = await Sweeper.Sweep();
        var second = await Sweeper.Sweep();

        Assert.Equal((0, 5), (early.WebhookEvents, keptEarly));
        Assert.Equal((Batch, 2), (first.WebhookEvents, second.WebhookEvents));
        Assert.Equal(0, await CountAsync(table, ids));
    }

    [Fact]
    public async Task Sent_emails_go_30_days_after_they_were_sent_in_bounded_batches_then_their_event_while_a_dead_email_and_its_event_stay()
    {
        var outbox = new OutboxTable(fx.Azurite.ServiceClient, fx.Cluster.Options.ServiceId);
        var sentAt = fx.Clock.GetUtcNow();
        var sentEvent = await AddEventAsync(outbox, "retention-sent-" + Guid.NewGuid().ToString("N"), sentAt, OutboxStatus.Sent, 4);
        var deadEvent = await AddEventAsync(outbox, "retention-dead-" + Guid.NewGuid().ToString("N"), sentAt, OutboxStatus.Dead, 1);

        fx.Clock.Advance(TimeSpan.FromDays(30) - TimeSpan.FromMinutes(1));
        var early = await Sweeper.Sweep();
        fx.Clock.Advance(TimeSpan.FromMinutes(2));
        var first = await Sweeper.Sweep();
        var second = await Sweeper.Sweep();
        var third = await Sweeper.Sweep();

        Assert.Equal((0, 0), (early.SentEmails, early.OutboxEvents));
        Assert.Equal(Batch, first.SentEmails);
        Assert.Equal(1, second.SentEmails);
        // The event goes once none of its emails remain: in the tick after its last sent email went.
        Assert.Equal(1, second.OutboxEvents + third.OutboxEvents);
        Assert.Null(await outbox.GetEventAsync(sentEvent.Shard, sentEvent.EventId, Ct));
        Assert.Empty(await outbox.MessageKeysOfEventAsync(sentEvent.Shard, OutboxShards.EventHash(sentEvent.EventId), Ct));
        Assert.NotNull(await outbox.GetEventAsync(deadEvent.Shard, deadEvent.EventId, Ct));
        Assert.Single(await outbox.MessageKeysOfEventAsync(deadEvent.Shard, OutboxShards.EventHash(deadEvent.EventId), Ct));
    }

    /// <summary>An accepted event expanded into <paramref name="count"/> emails, all in <paramref name="status"/>, as the outbox grain writes them.</summary>
    private static async Task<(int Shard, string EventId)> AddEventAsync(OutboxTable outbox, string eventId, DateTimeOffset at, OutboxStatus status, int count)
    {
        var shard = OutboxShards.OfEvent(eventId);
        var ev = new LowBalanceReached { EventId = eventId, WorkspaceId = "ws_retention", OccurredAt = at, AppId = "app_retention", AppName = "Bot", BalanceUsd = 10m, LimitUsd = 50m };
        Assert.True(await outbox.TryAddEventAsync(shard, ev, [1, 2, 3], at, Ct));
        var row = (await outbox.GetEventAsync(shard, eventId, Ct))!;
        var messages = Enumerable.Range(0, count).Select(i =>
        {
            var key = $"{OutboxShards.EventHash(eventId)}-r{i}";
            return new OutboxMessageRow(key, eventId, nameof(LowBalanceReached), "ws_retention", EmailTemplate.LowBalanceAlert, $"user:u{i}", $"u{i}@example.com",
                status, 1, at, null, status == OutboxStatus.Sent ? at : null, status == OutboxStatus.Dead ? "refused" : null, $"<{key}@example.com>", default);
        }).ToList();
        await outbox.CommitExpansionAsync(shard, row, messages, Ct);
        return (shard, eventId);
    }

    private async Task<List<string>> KeysAsync(string table, string partition)
    {
        var keys = new List<string>();
        await foreach (var row in fx.Azurite.ServiceClient.GetTableClient(table).QueryAsync<TableEntity>(e => e.PartitionKey == partition, cancellationToken: Ct))
            keys.Add(row.RowKey);
        return keys;
    }

    private static async Task<int> CountAsync(TableClient table, IEnumerable<string> ids)
    {
        var count = 0;
        foreach (var id in ids)
        {
            if ((await table.GetEntityIfExistsAsync<TableEntity>(RetainedTables.WebhookPartition, id, cancellationToken: Ct)).HasValue)
                count++;
        }

        return count;
    }

    /// <summary>A one-silo cluster whose fake clock starts on 2020-01-01, with batches of <see cref="Batch"/>.</summary>
    public sealed class Fixture(AzuriteFixture azurite) : IAsyncLifetime
    {
        public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2020, 1, 1, 9, 0, 0, TimeSpan.Zero));

        public AzuriteFixture Azurite => azurite;

        public TestCluster Cluster { get; private set; } = null!;

        public async ValueTask InitializeAsync() =>
            Cluster = await BillingTestCluster.StartAsync(azurite, Clock, silos: 1, settings: new Dictionary<string, string?> { ["Retention:BatchSize"] = Batch.ToString(System.Globalization.CultureInfo.InvariantCulture) });

        public async ValueTask DisposeAsync()
        {
            await Cluster.StopAllSilosAsync();
            await Cluster.DisposeAsync();
        }
    }
}
