using Billing.Notifications;
using Billing.Tests.Infrastructure;

namespace Billing.Tests.Notifications;

/// <summary>E3: the outbox lives in the table, not in a silo: a silo's death loses no email and doubles none.</summary>
public sealed class OutboxRestartTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly TwoSilos _fx = new(azurite);

    public ValueTask InitializeAsync() => _fx.InitializeAsync();

    public ValueTask DisposeAsync() => _fx.DisposeAsync();

    [Fact]
    public async Task Emails_waiting_for_the_server_survive_the_death_of_the_silo_holding_them_E3()
    {
        var world = await _fx.NewWorld();
        await _fx.DeliverAll();
        await _fx.Smtp.StopAsync();

        // One waiting email in every shard.
        var events = Enumerable.Range(0, 200).Select(i => $"restart:{world.Tag}:{i}").GroupBy(OutboxShards.OfEvent).OrderBy(g => g.Key).Select(g => g.First()).ToList();
        Assert.Equal(OutboxShards.Count, events.Count);
        foreach (var id in events)
        {
            await _fx.Publish(new LowBalanceReached
            {
                EventId = id, WorkspaceId = world.WorkspaceId, OccurredAt = _fx.Clock.GetUtcNow(), AppId = world.AppId, AppName = SampleWorld.AppName, BalanceUsd = 7m, LimitUsd = 50m,
            });
        }

        await _fx.DeliverAll();
        foreach (var id in events)
        {
            var waiting = Assert.Single(await _fx.OutboxOf(id));
            Assert.Equal((OutboxStatus.Pending, 1), (waiting.Status, waiting.Attempts));
        }

        var host = await _fx.Client.GetGrain<IManagementGrain>(0).GetActivationAddress(_fx.Client.GetGrain<IOutboxGrain>(OutboxShards.OfEvent(events[0])));
        await _fx.Cluster.KillSiloAsync(_fx.Cluster.Silos.Single(s => s.SiloAddress.Equals(host)));

        await _fx.Smtp.StartAgainAsync();
        _fx.Clock.Advance(TimeSpan.FromMinutes(1));
        await SurvivingCluster.Call(_fx.DeliverAll);
        await SurvivingCluster.Call(_fx.DeliverAll);

        foreach (var id in events)
        {
            var row = Assert.Single(await SurvivingCluster.Call(() => _fx.OutboxOf(id)));
            Assert.True(_fx.Smtp.MessagesOf(id).Count == 1, $"{id} was received {_fx.Smtp.MessagesOf(id).Count} times; its outbox row: {row}");
            Assert.Equal(OutboxStatus.Sent, row.Status);
        }
    }

    private sealed class TwoSilos(AzuriteFixture azurite) : NotificationFixture(azurite)
    {
        protected override short Silos => 2;
    }
}
