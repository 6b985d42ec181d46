using Billing.Ledgers;
using Billing.Metering;
using Billing.Tests.Infrastructure;
using Billing.Usage;
using Billing.Wallets;
using Orleans.TestingHost;

namespace Billing.Tests.Metering;

/// <summary>Retries across the death of a silo (B4, C7): each test kills a silo, so each has a cluster of its own.</summary>
public sealed class MeteringCrashTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly MeteringFixture _cluster = new(azurite);

    public ValueTask InitializeAsync() => _cluster.InitializeAsync();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task A_message_retried_after_the_silo_that_decided_it_died_is_charged_once_B4()
    {
        var (_, app) = await _cluster.NewAppAsync();
        var message = _cluster.Message(app, "zoe");
        var first = await _cluster.Meter(message);
        var session = _cluster.Client.GetGrain<IBillingSessionGrain>(BillingSessionKey.For(message));
        var host = await _cluster.Client.GetGrain<IManagementGrain>(0).GetActivationAddress(session);
        var victim = _cluster.Cluster.Silos.Single(s => s.SiloAddress.Equals(host));

        await _cluster.Cluster.KillSiloAsync(victim);
        var retried = await SurvivingCluster.Call(() => _cluster.Meter(message));
        _cluster.Clock.Advance(TimeSpan.FromMinutes(1));
        var next = await SurvivingCluster.Call(() => _cluster.Meter(_cluster.Message(app, "zoe")));

        Assert.Equal(first, retried);
        Assert.True(first.OpenedBillingSession);
        Assert.False(next.OpenedBillingSession); // the conversation and its open slice survived too (B1)
        Assert.Equal(first.BillingSessionId, next.BillingSessionId);
        var (_, entries) = await _cluster.LedgerOf(AppWalletGrain.BookId(app), WalletAccounts.Free);
        Assert.Single(entries, e => e.Kind == LedgerEntryKind.Charge);
        var totals = await _cluster.Client.GetGrain<IUsageLogGrain>(UsageLogKey.For(app, message.Timestamp)).GetTotals();
        Assert.Equal((2L, 1L), (totals.Requests, totals.BillingSessions));
        await _cluster.AssertWalletConsistent(app);
    }

    [Fact]
    public async Task A_retry_25_minutes_after_its_first_delivery_across_a_crash_answers_the_first_decision_and_is_charged_once_B4()
    {
        // Within Metering:RetryWindow (30 minutes) a message id is recognised even after the grains that saw it are gone.
        var (_, app) = await _cluster.NewAppAsync();
        var message = _cluster.Message(app, "yann");
        var first = await _cluster.Meter(message);
        _cluster.Clock.Advance(TimeSpan.FromMinutes(2));
        var second = await _cluster.Meter(_cluster.Message(app, "yann"));
        var session = _cluster.Client.GetGrain<IBillingSessionGrain>(BillingSessionKey.For(message));
        var host = await _cluster.Client.GetGrain<IManagementGrain>(0).GetActivationAddress(session);

        _cluster.Clock.Advance(TimeSpan.FromMinutes(23));
        await _cluster.Cluster.KillSiloAsync(_cluster.Cluster.Silos.Single(s => s.SiloAddress.Equals(host)));
        var retried = await SurvivingCluster.Call(() => _cluster.Meter(message));

        Assert.Equal(first, retried);
        Assert.True(first.OpenedBillingSession);
        Assert.False(second.OpenedBillingSession);
        var (_, entries) = await _cluster.LedgerOf(AppWalletGrain.BookId(app), WalletAccounts.Free);
        Assert.Single(entries, e => e.Kind == LedgerEntryKind.Charge);
        var totals = await _cluster.Client.GetGrain<IUsageLogGrain>(UsageLogKey.For(app, message.Timestamp)).GetTotals();
        Assert.Equal((2L, 1L), (totals.Requests, totals.BillingSessions));
        await _cluster.AssertWalletConsistent(app);
    }
}
