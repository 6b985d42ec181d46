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
        var phases = new Phases();
        await using var cluster = await ThreeSiloCluster.StartAsync(azurite, "kill");
        phases.Done("three silos up");
        await using var load = AdapterLoad.Start(cluster.Client, cluster.AppId, adapters: 2);
        await load.WaitForMoreAnswers(40, TimeSpan.FromSeconds(30));
        phases.Done("load flowing");

        // The victim: the silo holding the most of the end users' conversations so far.
        var users = load.Answered.Values.GroupBy(a => a.Message.ChannelUserId).Select(g => g.OrderBy(a => a.Message.Timestamp).Last()).ToList();
        var hosts = new List<(ChannelMessage Last, MeterDecision Decision, SiloProcess? Host)>();
        foreach (var (message, decision) in users)
            hosts.Add((message, decision, await cluster.HostOf(cluster.Client.GetGrain<IBillingSessionGrain>(BillingSessionKey.For(message)))));
        var victim = hosts.Where(h => h.Host is not null).GroupBy(h => h.Host!).OrderByDescending(g => g.Count()).First().Key;
        var moved = hosts.Where(h => h.Host == victim).ToList();

        await victim.KillAsync();
        phases.Done($"killed the silo holding {moved.Count} of {hosts.Count} conversations");
        await load.WaitForMoreAnswers(60, TimeSpan.FromSeconds(90));
        await load.StopAsync();
        phases.Done($"load stopped: {load.Answered.Count} answered, {load.Redeliveries} redeliveries");

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

        phases.Done("moved conversations answered");
        Assert.True(victim.HasExited);
        Assert.All(cluster.Silos.Where(s => s != victim), s => Assert.False(s.HasExited, s.RecentOutput));
        await cluster.AssertEveryAcknowledgedChargeOnceAsync(load.Answered.Values.Select(a => a.Decision));
        phases.Done("ledger checked");
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
        var phases = new Phases();
        await using var cluster = await ThreeSiloCluster.StartAsync(azurite, "roll");
        phases.Done("three silos up");
        var originals = cluster.Silos.ToList();
        await using var load = AdapterLoad.Start(cluster.Client, cluster.AppId, adapters: 2);
        await load.WaitForMoreAnswers(20, TimeSpan.FromSeconds(30));
        phases.Done("load flowing");

        foreach (var old in originals)
        {
            // As a platform replaces a replica: the replacement starts while the old silo leaves, and the next silo
            // goes only once the replacement is active and the load has flowed through the change.
            var replacement = cluster.LaunchSilo();
            await old.StopAsync();
            phases.Done($"silo {old.Options.SiloPort} stopped");
            await replacement.WaitUntilReadyAsync(TestContext.Current.CancellationToken);
            phases.Done("replacement ready");
            await load.WaitForMoreAnswers(20, TimeSpan.FromSeconds(60));
            phases.Done("load flowing");
        }

        await load.StopAsync();
        phases.Done($"load stopped: {load.Answered.Count} answered, {load.Redeliveries} redeliveries");

        Assert.All(originals, s => Assert.True(s.HasExited));
        // Decisions made before the restart are still known after it: their redelivery answers the first decision (B4).
        foreach (var (message, decision) in load.Answered.Values.OrderBy(a => a.Message.Timestamp).Take(20))
            Assert.Equal(decision, await load.Deliver(message));
        await cluster.AssertEveryAcknowledgedChargeOnceAsync(load.Answered.Values.Select(a => a.Decision));
        phases.Done("ledger checked");

        // The replacements are local development silos: their dashboard answers loopback names only (host filtering).
        using var http = new HttpClient { BaseAddress = cluster.Silos[^1].HttpAddress };
        using var local = await http.GetAsync("/dashboard", TestContext.Current.CancellationToken);
        using var rebound = new HttpRequestMessage(HttpMethod.Get, "/dashboard") { Headers = { Host = "attacker.example" } };
        using var refused = await http.SendAsync(rebound, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, local.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
    }
}

/// <summary>How long each phase of a cluster test took, in the test's output (these tests are budgeted).</summary>
internal sealed class Phases
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    public void Done(string phase) =>
        TestContext.Current.TestOutputHelper?.WriteLine($"{_clock.Elapsed.TotalSeconds,6:F1}s  {phase}");
}
