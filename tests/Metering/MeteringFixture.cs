using Azure.Data.Tables;
using Billing.Apps;
using Billing.Ledgers;
using Billing.Metering;
using Billing.Tests.Infrastructure;
using Billing.Wallets;
using Billing.Workspaces;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace Billing.Tests.Metering;

/// <summary>A two-silo cluster on Azurite with a fake billing clock, shared by the metering tests of one class.</summary>
public class MeteringFixture(AzuriteFixture azurite) : IAsyncLifetime
{
    /// <summary>Silo settings beyond the defaults (a subclass sets them for its tests).</summary>
    protected virtual IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>();

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 2, 9, 0, 0, TimeSpan.Zero));

    public TestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public TableClient Ledgers => azurite.ServiceClient.GetTableClient(LedgerTable.TableName);

    public async ValueTask InitializeAsync() => Cluster = await BillingTestCluster.StartAsync(azurite, Clock, settings: Settings);

    public async ValueTask DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>A new Standard workspace (with its $500 free credits) and one app in it.</summary>
    public async Task<(string WorkspaceId, string AppId)> NewAppAsync(Product product = Product.AutomationAi)
    {
        var workspaceId = "ws_" + Guid.NewGuid().ToString("N");
        var appId = "app_" + Guid.NewGuid().ToString("N");
        await Client.GetGrain<IWorkspaceGrain>(workspaceId).Create(new CreateWorkspace("Acme", "owner-" + workspaceId));
        await Client.GetGrain<IAppGrain>(appId).Create(new CreateApp(workspaceId, "Support bot", product, "owner-" + workspaceId, null));
        return (workspaceId, appId);
    }

    /// <summary>A new app whose workspace's free credits have expired, with <paramref name="paidUsd"/> granted to its paid wallet.</summary>
    public async Task<(string WorkspaceId, string AppId)> NewPaidOnlyAppAsync(decimal paidUsd)
    {
        var (workspaceId, appId) = await NewAppAsync();
        Clock.Advance(TimeSpan.FromDays(91));
        await Client.GetGrain<IFreeCreditPoolGrain>(workspaceId).GetStats(); // expires the pool (C2)
        if (paidUsd > 0m)
            await Grant(appId, paidUsd);
        return (workspaceId, appId);
    }

    public Task<LedgerEntry> Grant(string appId, decimal amountUsd) =>
        Client.GetGrain<IAppWalletGrain>(appId).Adjust(new WalletAdjustment(LedgerEntryKind.Grant, amountUsd, "test funding", "operator-1", Guid.NewGuid().ToString("N")));

    public Task<MeterDecision> Meter(ChannelMessage message) => Client.Meter(message);

    public ChannelMessage Message(string appId, string user, DateTimeOffset? at = null, string? messageId = null, ChannelClass channelClass = ChannelClass.Chat, MessageKind kind = MessageKind.UserMessage) =>
        new(messageId ?? "m-" + Guid.NewGuid().ToString("N"), appId, "webchat", channelClass, user, "kore-" + user, at ?? Clock.GetUtcNow(), kind);

    /// <summary>C7: what the ledger of one balance sums to, read from storage.</summary>
    public async Task<(decimal Sum, List<LedgerEntry> Entries)> LedgerOf(string bookId, string account)
    {
        // Wallets' postings are filed from the silos' journals: read after everything appended so far is filed.
        await Billing.Journal.UsageFiling.FileEverywhereAsync(Client, strict: true);
        var entries = new List<LedgerEntry>();
        await foreach (var e in LedgerTable.ReadAllAsync(Ledgers, bookId, account))
            entries.Add(e);
        return (entries.Sum(e => e.AmountUsd), entries);
    }

    /// <summary>C6, C7: every balance of an app's wallet equals the sum of its ledger and is not negative.</summary>
    public async Task AssertWalletConsistent(string appId)
    {
        await Billing.Journal.UsageFiling.FileEverywhereAsync(Client, strict: true);
        var balances = await LedgerTable.ReadBalancesAsync(Ledgers, AppWalletGrain.BookId(appId));
        foreach (var account in new[] { WalletAccounts.Paid, WalletAccounts.Free })
        {
            var (sum, entries) = await LedgerOf(AppWalletGrain.BookId(appId), account);
            Assert.Equal(balances.GetValueOrDefault(account), sum);
            Assert.True(sum >= 0m, $"{account} went negative: {sum}");
            Assert.All(entries, e => Assert.True(e.BalanceAfterUsd >= 0m));
            Assert.Equal(entries.Select((_, i) => (long)i + 1), entries.Select(e => e.Seq));
        }
    }
}
