using Azure.Data.Tables;
using Billing.Tests.Infrastructure;
using Billing.Workspaces;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace Billing.Tests.Cluster;

/// <summary>
/// A real two-silo cluster on the official Orleans Azure Table providers (SPEC section 2): one smoke test per provider,
/// each proving that what it keeps lives in the storage account rather than in a silo's memory.
/// </summary>
public sealed class ClusterStorageTests(AzuriteFixture azurite) : IAsyncLifetime
{
    /// <summary>The official clustering provider's table (AzureStorageClusteringOptions.DEFAULT_TABLE_NAME).</summary>
    private const string MembershipTable = "OrleansSiloInstances";

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 1, 9, 0, 0, TimeSpan.Zero));
    private TestCluster _cluster = null!;

    public async ValueTask InitializeAsync() => _cluster = await BillingTestCluster.StartAsync(azurite, _clock);

    public async ValueTask DisposeAsync()
    {
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task Grain_state_survives_the_death_of_the_silo_that_held_it()
    {
        var id = "ws_" + Guid.NewGuid().ToString("N");
        var created = await _cluster.Client.GetGrain<IWorkspaceGrain>(id).Create(new CreateWorkspace("Acme", "user-1"));
        var host = await HostOf(_cluster.Client.GetGrain<IWorkspaceGrain>(id));
        var victim = _cluster.Silos.Single(s => s.SiloAddress.Equals(host));

        await _cluster.KillSiloAsync(victim);
        var survivorView = await SurvivingCluster.Call(() => _cluster.Client.GetGrain<IWorkspaceGrain>(id).GetForMember("user-1"));

        Assert.Equal(created with { }, survivorView);
        Assert.Equal(500m, survivorView!.FreeCredits!.AmountUsd);
        Assert.NotEqual(host, await HostOf(_cluster.Client.GetGrain<IWorkspaceGrain>(id)));
    }

    [Fact]
    public async Task A_reminder_fires_after_the_silo_that_registered_it_died()
    {
        var key = Guid.NewGuid().ToString("N");
        var grain = _cluster.Client.GetGrain<IReminderProbeGrain>(key);
        await grain.Arm(TimeSpan.FromSeconds(1));
        var host = await HostOf(grain);

        await _cluster.KillSiloAsync(_cluster.Silos.Single(s => s.SiloAddress.Equals(host)));
        // The new activation counts from zero, so every tick it sees came from the reminder table after the death.
        var ticks = await SurvivingCluster.Call(() => _cluster.Client.GetGrain<IReminderProbeGrain>(key).WaitForTicks(count: 1, TimeSpan.FromSeconds(30)));

        Assert.True(ticks >= 1, $"The reminder ticked {ticks} times on the surviving silo.");
        Assert.NotEqual(host, await HostOf(grain));
    }

    [Fact]
    public async Task Two_silos_and_a_client_find_each_other_through_the_membership_table()
    {
        var hosts = await _cluster.Client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);

        Assert.Equal(_cluster.Silos.Select(s => s.SiloAddress).Order(), hosts.Keys.Order());
        // Both silos, and the gateways the client connected through, are rows of this cluster's partition.
        var rows = new List<TableEntity>();
        await foreach (var row in azurite.ServiceClient.GetTableClient(MembershipTable).QueryAsync<TableEntity>(e => e.PartitionKey == _cluster.Options.ClusterId, cancellationToken: TestContext.Current.CancellationToken))
            rows.Add(row);
        var activeSilos = rows.Where(r => r.GetString("Status") == "Active").Select(r => r.GetString("Port")).Order();
        Assert.Equal(_cluster.Silos.Select(s => s.SiloAddress.Endpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)).Order(), activeSilos);
        Assert.All(rows.Where(r => r.GetString("Status") == "Active"), r => Assert.NotEqual("0", r.GetString("ProxyPort")));
    }

    private async Task<SiloAddress> HostOf(IAddressable grain) =>
        await _cluster.Client.GetGrain<IManagementGrain>(0).GetActivationAddress(grain) ?? throw new InvalidOperationException("The grain has no activation.");
}
