using System.Diagnostics;
using Billing.Apps;
using Billing.Ledgers;
using Billing.Metering;
using Billing.Tests.Infrastructure;
using Billing.Wallets;
using Billing.Workspaces;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Billing.Tests.Operations;

/// <summary>
/// Three real silo processes in one cluster of their own on the test run's Azurite (as <c>./run.sh --silos 3</c> runs
/// them), a channel adapter's client of that cluster, and one funded app to meter.
/// </summary>
public sealed class ThreeSiloCluster : IAsyncDisposable
{
    private readonly AzuriteFixture _azurite;
    private IHost? _client;

    private ThreeSiloCluster(AzuriteFixture azurite, string name)
    {
        _azurite = azurite;
        var id = Guid.NewGuid().ToString("N")[..12];
        (ClusterId, ServiceId) = ($"{name}-{id}", $"svc-{name}-{id}");
    }

    public string ClusterId { get; }

    public string ServiceId { get; }

    public List<SiloProcess> Silos { get; } = [];

    public IClusterClient Client => _client!.Services.GetRequiredService<IClusterClient>();

    public string AppId { get; private set; } = "";

    public static async Task<ThreeSiloCluster> StartAsync(AzuriteFixture azurite, string name)
    {
        var cluster = new ThreeSiloCluster(azurite, name);
        try
        {
            // Launched before any is awaited, and members at once: a silo that fails to start takes the others down with it.
            var silos = Enumerable.Range(0, 3).Select(_ => cluster.LaunchSilo()).ToList();
            await Task.WhenAll(silos.Select(s => s.WaitUntilReadyAsync(TestContext.Current.CancellationToken)));
            cluster._client = await SiloProcess.StartClientAsync(azurite, cluster.ClusterId, cluster.ServiceId, TestContext.Current.CancellationToken);
            cluster.AppId = await cluster.NewFundedAppAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Launches one more silo of this cluster, a member of <see cref="Silos"/> at once; wait for it to be ready.</summary>
    public SiloProcess LaunchSilo()
    {
        var silo = SiloProcess.Launch(_azurite, Options());
        Silos.Add(silo);
        return silo;
    }

    // Generous: three silos start at once beside the rest of the suite on two cores.
    private SiloProcessOptions Options() => new(ClusterId, ServiceId) { ReadyTimeout = TimeSpan.FromSeconds(150) };

    /// <summary>The silo process an activation lives on, by its silo port.</summary>
    public async Task<SiloProcess?> HostOf(IAddressable grain)
    {
        var address = await Client.GetGrain<IManagementGrain>(0).GetActivationAddress(grain);
        return address is null ? null : Silos.SingleOrDefault(s => s.Options.SiloPort == address.Endpoint.Port);
    }

    /// <summary>
    /// C7, B2, B4: every acknowledged billing session (an Allowed decision that opened one) is charged exactly once, for
    /// the amount the decision named and never refunded, nothing else is charged, and every balance equals the sum of its
    /// ledger. The ledger is a projection that may trail the answers by a few seconds: read it until every acknowledged
    /// charge is there, within a bound, then judge it.
    /// </summary>
    public async Task AssertEveryAcknowledgedChargeOnceAsync(IEnumerable<MeterDecision> decisions)
    {
        var opened = decisions.Where(d => d.IsAllowed && d.OpenedBillingSession).ToDictionary(d => d.BillingSessionId!, d => d.ChargedUsd);
        Assert.NotEmpty(opened);
        var book = AppWalletGrain.BookId(AppId);
        var ledgers = _azurite.ServiceClient.GetTableClient(LedgerTable.TableName);

        List<LedgerEntry> entries;
        var waited = Stopwatch.StartNew();
        while (true)
        {
            entries = [];
            foreach (var account in new[] { WalletAccounts.Paid, WalletAccounts.Free })
            {
                await foreach (var entry in LedgerTable.ReadAllAsync(ledgers, book, account, TestContext.Current.CancellationToken))
                    entries.Add(entry);
            }

            var charged = entries.Where(e => e.Kind == LedgerEntryKind.Charge).Select(e => e.IdempotencyKey).ToHashSet();
            if (opened.Keys.All(charged.Contains) || waited.Elapsed > TimeSpan.FromSeconds(30))
                break;
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }

        var charges = entries.Where(e => e.Kind == LedgerEntryKind.Charge).GroupBy(e => e.IdempotencyKey!).ToDictionary(g => g.Key, g => g.ToList());
        var missing = opened.Keys.Where(id => !charges.ContainsKey(id)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {opened.Count} acknowledged billing sessions have no charge, e.g. {missing.FirstOrDefault()}");
        var unacknowledged = charges.Keys.Where(id => !opened.ContainsKey(id)).ToList();
        Assert.True(unacknowledged.Count == 0, $"{unacknowledged.Count} charges for sessions no decision acknowledged, e.g. {unacknowledged.FirstOrDefault()}");
        foreach (var (sessionId, legs) in charges)
        {
            Assert.True(legs.GroupBy(l => l.Account).All(g => g.Count() == 1), $"{sessionId} is charged twice on one account.");
            Assert.Equal(-opened[sessionId], legs.Sum(l => l.AmountUsd));
        }

        Assert.DoesNotContain(entries, e => e.Kind == LedgerEntryKind.Refund && e.Reference is { } session && opened.ContainsKey(session));

        var balances = await LedgerTable.ReadBalancesAsync(ledgers, book, TestContext.Current.CancellationToken);
        foreach (var account in new[] { WalletAccounts.Paid, WalletAccounts.Free })
        {
            var ofAccount = entries.Where(e => e.Account == account).OrderBy(e => e.Seq).ToList();
            Assert.Equal(balances.GetValueOrDefault(account), ofAccount.Sum(e => e.AmountUsd));
            Assert.Equal(ofAccount.Select((_, i) => (long)i + 1), ofAccount.Select(e => e.Seq));
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_client is not null)
            {
                using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _client.StopAsync(bound.Token);
                _client.Dispose();
            }
        }
        catch (Exception)
        {
            // The cluster is being torn down: whatever the client says, the silo processes must not outlive the test.
        }
        finally
        {
            await Task.WhenAll(Silos.Select(s => s.DisposeAsync().AsTask()));
        }
    }

    /// <summary>A Standard workspace and one app in it whose paid wallet holds far more than the test can spend.</summary>
    private async Task<string> NewFundedAppAsync()
    {
        var workspaceId = "ws_" + Guid.NewGuid().ToString("N");
        var appId = "app_" + Guid.NewGuid().ToString("N");
        await Client.GetGrain<IWorkspaceGrain>(workspaceId).Create(new CreateWorkspace("Acme", "owner-" + workspaceId));
        await Client.GetGrain<IAppGrain>(appId).Create(new CreateApp(workspaceId, "Support bot", Product.AutomationAi, "owner-" + workspaceId, null));
        await Client.GetGrain<IAppWalletGrain>(appId).Adjust(new WalletAdjustment(LedgerEntryKind.Grant, 100_000m, "load test funding", "operator-1", Guid.NewGuid().ToString("N")));
        return appId;
    }
}
