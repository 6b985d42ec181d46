using System.Collections.Concurrent;
using Azure.Data.Tables;
using Billing.Apps;
using Billing.Journal;
using Billing.Ledgers;
using Billing.Metering;
using Billing.Tests.Infrastructure;
using Billing.Usage;
using Billing.Wallets;
using Billing.Workspaces;
using Microsoft.Extensions.DependencyInjection;

namespace Billing.Tests.Metering;

/// <summary>
/// Two real silo processes under adapter load, one SIGKILLed and never restarted: the survivor files the dead silo's
/// journal before its end users are answered again (B4, C6, C7; SPEC section 11, every answered decision is durable).
/// </summary>
public sealed class MeteringSiloProcessTests(AzuriteFixture azurite)
{
    private const int Users = 24;
    private const int MessagesPerUser = 12;

    /// <summary>A killed silo is declared dead within seconds rather than Orleans' default of about half a minute.</summary>
    private static readonly Dictionary<string, string?> FastDeathDeclaration = new()
    {
        ["Orleans:Membership:ProbeTimeout"] = "00:00:01",
        ["Orleans:Membership:NumMissedProbesLimit"] = "1",
        ["Orleans:Membership:NumVotesForDeathDeclaration"] = "1",
        ["Orleans:Membership:TableRefreshTimeout"] = "00:00:01",
    };

    [Fact]
    public async Task After_a_SIGKILL_under_load_every_allowed_decision_is_filed_and_charged_once_and_retries_answer_the_first_decision_B4_C6_C7()
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        var (clusterId, serviceId) = ("meter-" + id, "svc-meter-" + id);
        var cancel = TestContext.Current.CancellationToken;
        var options = new SiloProcessOptions(clusterId, serviceId) { Extra = FastDeathDeclaration };
        await using var survivor = await SiloProcess.StartAsync(azurite, options, cancel);
        await using var victim = await SiloProcess.StartAsync(azurite, options with { SiloPort = FreePort.Next(), GatewayPort = FreePort.Next(), HttpPort = FreePort.Next() }, cancel);
        using var client = await SiloProcess.StartClientAsync(azurite, clusterId, serviceId, cancel);
        var grains = client.Services.GetRequiredService<IClusterClient>();
        var workspaceId = "ws_" + id;
        var appId = "app_" + id;
        await grains.GetGrain<IWorkspaceGrain>(workspaceId).Create(new CreateWorkspace("Acme", "owner-" + id));
        await grains.GetGrain<IAppGrain>(appId).Create(new CreateApp(workspaceId, "Support bot", Product.AutomationAi, "owner-" + id, null));

        // Adapter load: each end user sends its messages one after the other, and retries a message whose call failed
        // (the silo deciding it died) with the same id and timestamp until it is answered, as an adapter does.
        var answered = new ConcurrentDictionary<string, (ChannelMessage Message, MeterDecision Decision)>();
        var killed = new TaskCompletionSource();
        var load = Task.WhenAll(Enumerable.Range(0, Users).Select(u => Task.Run(async () =>
        {
            for (var i = 0; i < MessagesPerUser; i++)
            {
                var message = new ChannelMessage($"m-{u}-{i}", appId, "webchat", u % 4 == 0 ? ChannelClass.Voice : ChannelClass.Chat, $"kore-{u}", $"user-{u}", DateTimeOffset.UtcNow, MessageKind.UserMessage);
                answered[message.MessageId] = (message, await SurvivingCluster.Call(() => grains.Meter(message)));
                if (i == MessagesPerUser / 3)
                    await killed.Task; // a third of the load before the kill, the rest across and after it
            }
        }, cancel)));

        await WaitUntil(() => answered.Count >= Users * (MessagesPerUser / 3), cancel);
        await victim.KillAsync();
        killed.SetResult();
        await load;
        var retried = await Task.WhenAll(answered.Values.Select(a => SurvivingCluster.Call(() => grains.Meter(a.Message))));

        Assert.True(victim.HasExited);
        Assert.Equal(Users * MessagesPerUser, answered.Count);
        Assert.All(answered.Values, a => Assert.True(a.Decision.IsAllowed, a.Decision.ToString()));
        Assert.Equal(answered.Values.Select(a => a.Decision).OrderBy(d => d.MessageId), retried.OrderBy(d => d.MessageId));

        // Every allowed decision has exactly one usage record (the export reads the filed partitions) ...
        // The export, like any call, may still be routed through the dead silo's directory partition: read it whole, again.
        var days = answered.Values.Select(a => DateOnly.FromDateTime(a.Message.Timestamp.UtcDateTime)).ToList();
        var exported = await SurvivingCluster.Call(() => grains.ExportUsage(appId, days.Min(), days.Max(), cancel).ToListAsync(cancel).AsTask());
        Assert.Equal(answered.Keys.Order(), exported.Select(r => r.MessageId).Order());
        // ... and each billing session it opened exactly one charge, at the amount answered; balance = sum of ledger.
        var tables = azurite.ServiceClient;
        var ledgers = tables.GetTableClient(LedgerTable.TableName);
        var charges = new List<LedgerEntry>();
        foreach (var account in new[] { WalletAccounts.Paid, WalletAccounts.Free })
        {
            var entries = await LedgerTable.ReadAllAsync(ledgers, AppWalletGrain.BookId(appId), account, cancel).ToListAsync(cancel);
            var balances = await LedgerTable.ReadBalancesAsync(ledgers, AppWalletGrain.BookId(appId), cancel);
            Assert.Equal(balances.GetValueOrDefault(account), entries.Sum(e => e.AmountUsd));
            Assert.All(entries, e => Assert.True(e.BalanceAfterUsd >= 0m));
            charges.AddRange(entries.Where(e => e.Kind == LedgerEntryKind.Charge));
        }

        var opened = answered.Values.Where(a => a.Decision.OpenedBillingSession).Select(a => a.Decision).ToList();
        Assert.Equal(opened.Select(d => d.BillingSessionId).Order(), charges.Select(c => c.IdempotencyKey).Distinct().Order());
        Assert.Equal(opened.Sum(d => d.ChargedUsd), -charges.Sum(c => c.AmountUsd));
        Assert.Equal(opened.Sum(d => d.ChargedUsd), exported.Sum(r => r.ChargedUsd));

        // The dead silo never came back: its journal was sealed and filed by the survivor.
        var heads = await tables.GetTableClient(BillingTables.JournalTableName)
            .QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey ge {serviceId + "|"} and PartitionKey lt {serviceId + "}"} and RowKey eq {MeteringJournal.HeadRowKey}"), cancellationToken: cancel)
            .ToListAsync(cancel);
        Assert.Equal(2, heads.Count);
        var dead = Assert.Single(heads, h => h.GetBoolean(MeteringJournal.FiledProperty) == true);
        Assert.True(dead.GetBoolean("Sealed"));
        Assert.False(survivor.HasExited, survivor.RecentOutput);
    }

    private static async Task WaitUntil(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition())
            await Task.Delay(50, cancellationToken);
    }
}
