using Billing.Notifications;
using Billing.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Billing.Tests.Notifications;

/// <summary>
/// E2, E3 on the wire: a send is claimed in its outbox row before the mail server sees it, so a sender that dies
/// between the server's acceptance and the row saying Sent leaves a claim behind, and the message is held as
/// unconfirmed for an operator instead of reaching the recipient twice (found by the fault simulator: a silo killed
/// mid-send made the next pass send the same email again).
/// </summary>
public sealed class OutboxHandOverTests(NotificationFixture fx) : IClassFixture<NotificationFixture>
{
    /// <summary>The fixture's SMTP timeout is 10 s: a claim lapses ten timeouts after the hand-over.</summary>
    private static readonly TimeSpan HandOverDeadline = TimeSpan.FromSeconds(100);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private OutboxTable Table => ((InProcessSiloHandle)fx.Cluster.Silos[0]).ServiceProvider.GetRequiredService<OutboxTable>();

    [Fact]
    public async Task A_message_is_claimed_in_its_row_before_the_mail_server_has_it_E2()
    {
        var (ev, shard, key) = await PublishLowBalanceAsync("hand-over");

        var hold = fx.Smtp.HoldReplies();
        Task<int> pass;
        OutboxMessageRow? onTheWire;
        try
        {
            pass = fx.Client.GetGrain<IOutboxGrain>(shard).Deliver();
            await hold.Received.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct); // the server has the message, the sender no answer
            onTheWire = await Table.GetMessageAsync(shard, key, Ct);
        }
        finally
        {
            fx.Smtp.StopHolding();
        }

        await pass;
        Assert.NotNull(onTheWire);
        Assert.Equal((OutboxStatus.Pending, 1), (onTheWire.Status, onTheWire.Attempts));
        Assert.NotNull(onTheWire.HandedOverAt);
        Assert.StartsWith("Handed to the mail server", onTheWire.LastError, StringComparison.Ordinal);
        Assert.Equal(onTheWire.HandedOverAt + HandOverDeadline, onTheWire.DueAt);
        var sent = Assert.Single(await fx.OutboxOf(ev.EventId));
        Assert.Equal((OutboxStatus.Sent, 1, (string?)null), (sent.Status, sent.Attempts, sent.LastError));
        Assert.Single(fx.Smtp.MessagesOf(ev.EventId));
        Assert.Null((await Table.GetMessageAsync(shard, key, Ct))!.HandedOverAt);
    }

    [Fact]
    public async Task A_claim_left_by_a_sender_that_died_is_held_as_unconfirmed_not_sent_again_until_an_operator_retries_E2_E3()
    {
        var (ev, shard, key) = await PublishLowBalanceAsync("died-mid-send");
        var outbox = fx.Client.GetGrain<IOutboxGrain>(shard);
        await outbox.Deliver();
        Assert.Single(fx.Smtp.MessagesOf(ev.EventId));

        // What a silo killed after the server accepted the message and before recording it leaves: the row as claimed.
        var sent = (await Table.GetMessageAsync(shard, key, Ct))!;
        var handedOverAt = fx.Clock.GetUtcNow();
        await Table.UpdateMessageAsync(shard, sent with
        {
            Status = OutboxStatus.Pending, SentAt = null, DueAt = handedOverAt + HandOverDeadline, HandedOverAt = handedOverAt,
            HandOverId = "a-sender-that-died", LastError = $"Handed to the mail server at {handedOverAt:u}; its answer is not recorded yet.",
        }, Ct);

        fx.Clock.Advance(TimeSpan.FromMinutes(1)); // within the deadline the send may still be running elsewhere: left alone
        Assert.Equal(0, await outbox.Deliver());
        Assert.Equal(OutboxStatus.Pending, Assert.Single(await fx.OutboxOf(ev.EventId)).Status);

        fx.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(0, await outbox.Deliver());
        var held = Assert.Single(await fx.OutboxOf(ev.EventId));
        Assert.Equal(OutboxStatus.Unconfirmed, held.Status);
        Assert.Contains("may have been delivered", held.LastError, StringComparison.Ordinal);
        fx.Clock.Advance(TimeSpan.FromHours(7));
        await outbox.Deliver();
        Assert.Single(fx.Smtp.MessagesOf(ev.EventId)); // never sent a second time on its own
        Assert.Contains(await outbox.List(OutboxStatus.Unconfirmed, OutboxShards.MaxListLimit), m => m.Id == key);

        var retried = await outbox.Retry(key); // the recipient says it never arrived
        Assert.Equal((OutboxStatus.Pending, 0), (retried.Status, retried.Attempts));
        await outbox.Deliver();
        Assert.Equal(OutboxStatus.Sent, Assert.Single(await fx.OutboxOf(ev.EventId)).Status);
        Assert.Equal(2, fx.Smtp.MessagesOf(ev.EventId).Count);
    }

    /// <summary>A fresh world (its own emails delivered first), then one low-balance event to its owner: the event, its shard, its message key.</summary>
    private async Task<(LowBalanceReached Event, int Shard, string Key)> PublishLowBalanceAsync(string tag)
    {
        var world = await fx.NewWorld();
        await fx.DeliverAll();
        var ev = new LowBalanceReached
        {
            EventId = $"{tag}:{Guid.NewGuid():N}", WorkspaceId = world.WorkspaceId, OccurredAt = fx.Clock.GetUtcNow(), AppId = world.AppId, AppName = SampleWorld.AppName,
            BalanceUsd = 3m, LimitUsd = 50m,
        };
        await fx.Publish(ev);
        return (ev, OutboxShards.OfEvent(ev.EventId), DeliveryRules.MessageKey(ev.EventId, EmailTemplate.LowBalanceAlert, "user:" + world.OwnerUserId));
    }
}
