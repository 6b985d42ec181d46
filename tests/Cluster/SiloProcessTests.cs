using Billing.Diagnostics;
using Billing.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Billing.Tests.Cluster;

/// <summary>
/// Real silo processes (the built silo with its own Program and configuration) form one cluster on Azurite, a client
/// finds them through the membership table, and a SIGKILLed silo's grains answer again from the survivor.
/// </summary>
public sealed class SiloProcessTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Grains_of_a_SIGKILLed_silo_process_answer_again_from_the_survivor()
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        var (clusterId, serviceId) = ("proc-" + id, "svc-proc-" + id);
        var cancel = TestContext.Current.CancellationToken;
        await using var first = await SiloProcess.StartAsync(azurite, new SiloProcessOptions(clusterId, serviceId), cancel);
        await using var second = await SiloProcess.StartAsync(azurite, new SiloProcessOptions(clusterId, serviceId), cancel);
        using var client = await SiloProcess.StartClientAsync(azurite, clusterId, serviceId, cancel);
        var grains = client.Services.GetRequiredService<IClusterClient>();
        var keys = Enumerable.Range(0, 40).Select(i => $"ping-{i}").ToArray();
        foreach (var key in keys)
            Assert.Equal(2, await SurvivingCluster.Call(() => grains.GetGrain<IPingGrain>(key).Ping(1)));

        await second.KillAsync();

        Assert.True(second.HasExited);
        foreach (var key in keys)
            Assert.Equal(8, await SurvivingCluster.Call(() => grains.GetGrain<IPingGrain>(key).Ping(7)));
        Assert.False(first.HasExited, first.RecentOutput);
    }
}
