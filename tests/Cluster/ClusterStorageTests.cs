using Billing.Tests.Infrastructure;
using Billing.Workspaces;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace Billing.Tests.Cluster;

/// <summary>A real two-silo cluster on Azure Table storage, membership and reminders (SPEC section 2).</summary>
public sealed class ClusterStorageTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 1, 9, 0, 0, TimeSpan.Zero));
    private TestCluster _cluster = null!;

    public async ValueTask InitializeAsync() => _cluster = await BillingTestCluster.StartAsync(azurite, _clock);

    public async ValueTask DisposeAsync()
    {
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task Workspace_state_survives_the_death_of_the_silo_that_held_it()
    {
        var id = "ws_" + Guid.NewGuid().ToString("N");
        var created = await _cluster.Client.GetGrain<IWorkspaceGrain>(id).Create(new CreateWorkspace("Acme", "user-1"));
        var host = await _cluster.Client.GetGrain<IManagementGrain>(0).GetActivationAddress(_cluster.Client.GetGrain<IWorkspaceGrain>(id));
        var victim = _cluster.Silos.Single(s => s.SiloAddress.Equals(host));

        await _cluster.KillSiloAsync(victim);
        var survivorView = await SurvivingCluster.Call(() => _cluster.Client.GetGrain<IWorkspaceGrain>(id).GetForMember("user-1"));

        Assert.Equal(created with { }, survivorView);
        Assert.Equal(500m, survivorView!.FreeCredits!.AmountUsd);
        var newHost = await _cluster.Client.GetGrain<IManagementGrain>(0).GetActivationAddress(_cluster.Client.GetGrain<IWorkspaceGrain>(id));
        Assert.NotEqual(host, newHost);
    }

    [Fact]
    public async Task A_reminder_registered_through_the_Azure_reminder_table_fires()
    {
        var grain = _cluster.Client.GetGrain<IReminderProbeGrain>(Guid.NewGuid().ToString("N"));

        await grain.Arm(TimeSpan.FromSeconds(1));
        var ticks = await grain.WaitForTicks(count: 1, TimeSpan.FromSeconds(20));

        Assert.True(ticks >= 1, $"The reminder ticked {ticks} times.");
    }
}
