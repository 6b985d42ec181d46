using System.Net;
using Billing.Metering;
using Billing.Tests.Infrastructure;

namespace Billing.Tests.Operations;

/// <summary>
/// A silo killed under steady adapter load: its grains come back on the two survivors with their state, and no
/// acknowledged money is lost or charged twice (B4, C7).
/// </summary>
public sealed class SiloKillTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_SIGKILLed_silo_of_three_under_load_hands_its_grains_over_and_loses_no_acknowledged_money_B4_C7()
    {
        await using var cluster = await ThreeSiloCluster.StartAsync(azurite, "kill");
        await using var load = AdapterLoad.Start(cluster.Client, cluster.AppId, adapters: 4);
        await load.WaitForMoreAnswers(80, TimeSpan.FromSeconds(30));

        // The victim: the silo holding the most of the end users' conversations so far.
        var users = load.Answered.Values.GroupBy(a => a.Message.ChannelUserId).Select(g => g.OrderBy(a => a.Message.Timestamp).Last()).ToList();
        var hosts = new List<(ChannelMessage Last, MeterDecision Decision, SiloProcess? Host)>();
        foreach (var (message, decision) in users)
            hosts.Add((message, decision, await cluster.HostOf(cluster.Client.GetGrain<IBillingSessionGrain>(BillingSessionKey.For(message)))));
        var victim = hosts.Where(h => h.Host is not null).GroupBy(h => h.Host!).OrderByDescending(g => g.Count()).First().Key;
        var moved = hosts.Where(h => h.Host == victim).ToList();

        await victim.KillAsync();
        await load.WaitForMoreAnswers(150, TimeSpan.FromSeconds(60));
        await load.StopAsync();

        // Each conversation the victim held answers from a survivor, still inside the billing session it had opened (B1).
        foreach (var (last, decision, _) in moved)
        {
            var next = await load.Deliver(load.Message(last.ChannelUserId));
            var host = await cluster.HostOf(cluster.Client.GetGrain<IBillingSessionGrain>(BillingSessionKey.For(last)));
            Assert.NotNull(host);
            Assert.NotSame(victim, host);
            Assert.True(next.IsAllowed);
            Assert.False(next.OpenedBillingSession, $"{last.ChannelUserId} lost its open billing session with the silo.");
            Assert.Equal(decision.BillingSessionId, next.BillingSessionId);
        }

        Assert.True(victim.HasExited);
        Assert.All(cluster.Silos.Where(s => s != victim), s => Assert.False(s.HasExited, s.RecentOutput));
        await cluster.AssertEveryAcknowledgedChargeOnceAsync(load.Answered.Values.Select(a => a.Decision));
    }
}

/// <summary>
/// A rolling restart, as a new version rolls out: each of three silos in turn gets SIGTERM and a replacement joins
/// before the next goes. Under steady adapter load every message is answered, and none is charged twice (B4, C7).
/// </summary>
public sealed class RollingRestartTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_rolling_restart_of_three_silos_under_load_answers_every_message_and_charges_none_twice_B4_C7()
    {
        await using var cluster = await ThreeSiloCluster.StartAsync(azurite, "roll");
        var originals = cluster.Silos.ToList();
        await using var load = AdapterLoad.Start(cluster.Client, cluster.AppId, adapters: 4);
        await load.WaitForMoreAnswers(50, TimeSpan.FromSeconds(30));

        foreach (var old in originals)
        {
            await old.StopAsync();
            cluster.Silos.Add(await cluster.StartSiloAsync());
            await load.WaitForMoreAnswers(50, TimeSpan.FromSeconds(60));
        }

        await load.StopAsync();

        Assert.All(originals, s => Assert.True(s.HasExited));
        // Decisions made before the restart are still known after it: their redelivery answers the first decision (B4).
        foreach (var (message, decision) in load.Answered.Values.OrderBy(a => a.Message.Timestamp).Take(40))
            Assert.Equal(decision, await load.Deliver(message));
        await cluster.AssertEveryAcknowledgedChargeOnceAsync(load.Answered.Values.Select(a => a.Decision));

        // The replacements are local development silos: their dashboard answers loopback names only (host filtering).
        using var http = new HttpClient { BaseAddress = cluster.Silos[^1].HttpAddress };
        using var local = await http.GetAsync("/dashboard", TestContext.Current.CancellationToken);
        using var rebound = new HttpRequestMessage(HttpMethod.Get, "/dashboard") { Headers = { Host = "attacker.example" } };
        using var refused = await http.SendAsync(rebound, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, local.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
    }
}
