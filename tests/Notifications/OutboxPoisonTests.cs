using Billing.Notifications;
using Billing.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Billing.Tests.Notifications;

/// <summary>
/// One message that can never be sent must not hold up the others on its shard (E3). Found by probing: a recipient
/// whose user grain could not load made the shard's pass throw on every run, so every later email stayed pending.
/// </summary>
public sealed class OutboxPoisonTests(NotificationFixture fx) : IClassFixture<NotificationFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_message_that_always_fails_to_render_is_dead_lettered_while_100_others_on_its_shard_are_sent_E3()
    {
        var world = await fx.NewWorld();
        await fx.DeliverAll(); // the world's own welcome email first
        var tag = Guid.NewGuid().ToString("N");
        var shard = OutboxShards.OfEvent("poison:" + tag);

        // The poison: a message whose event cannot be read back, due before any other message of the shard.
        var table = ((InProcessSiloHandle)fx.Cluster.Silos[0]).ServiceProvider.GetRequiredService<OutboxTable>();
        var poisonEvent = LowBalance(world, "poison:" + tag);
        Assert.True(await table.TryAddEventAsync(shard, poisonEvent, [0xFF, 0x00, 0x13, 0x37, 0xFF, 0xFF], fx.Clock.GetUtcNow(), Ct));
        var stored = (await table.GetEventAsync(shard, poisonEvent.EventId, Ct))!;
        var key = DeliveryRules.MessageKey(poisonEvent.EventId, EmailTemplate.LowBalanceAlert, "user:" + world.OwnerUserId);
        var due = fx.Clock.GetUtcNow().AddMinutes(-1);
        await table.CommitExpansionAsync(shard, stored,
        [
            new OutboxMessageRow(key, poisonEvent.EventId, nameof(LowBalanceReached), world.WorkspaceId, EmailTemplate.LowBalanceAlert, "user:" + world.OwnerUserId,
                null, OutboxStatus.Pending, 0, due, due, null, null, DeliveryRules.MimeMessageId(key, "example.test"), default),
        ], Ct);

        // 100 ordinary emails on the same shard.
        var others = new List<string>();
        for (var i = 0; others.Count < 100; i++)
        {
            var id = $"low:{tag}:{i}";
            if (OutboxShards.OfEvent(id) == shard)
                others.Add(id);
        }
        foreach (var id in others)
            await fx.Publish(LowBalance(world, id));

        var outbox = fx.Client.GetGrain<IOutboxGrain>(shard);
        await outbox.Deliver();
        Assert.All(others, id => Assert.Single(fx.Smtp.MessagesOf(id)));
        var poison = Assert.Single(await fx.OutboxOf(poisonEvent.EventId));
        Assert.NotEqual(OutboxStatus.Sent, poison.Status);

        // Tried again on the back-off (1 and 5 minutes, 3 attempts) and then dead-lettered, on its own.
        fx.Clock.Advance(TimeSpan.FromMinutes(1));
        await outbox.Deliver();
        fx.Clock.Advance(TimeSpan.FromMinutes(5));
        await outbox.Deliver();
        poison = Assert.Single(await fx.OutboxOf(poisonEvent.EventId));
        Assert.Equal(OutboxStatus.Dead, poison.Status);
        Assert.NotNull(poison.LastError);
        Assert.Empty(fx.Smtp.MessagesOf(poisonEvent.EventId));
        Assert.All(others, id => Assert.Single(fx.Smtp.MessagesOf(id)));
    }

    private LowBalanceReached LowBalance(SampleWorld world, string eventId) => new()
    {
        EventId = eventId, WorkspaceId = world.WorkspaceId, OccurredAt = fx.Clock.GetUtcNow(), AppId = world.AppId, AppName = SampleWorld.AppName,
        BalanceUsd = 3m, LimitUsd = 50m,
    };
}
