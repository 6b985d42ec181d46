using Billing.Ledgers;
using Billing.Metering;
using Billing.Tests.Infrastructure;
using Billing.Wallets;

namespace Billing.Tests.Metering;

/// <summary>A cluster whose Standard plan allows 3 requests a month (B8).</summary>
public sealed class CappedPlanFixture(AzuriteFixture azurite) : MeteringFixture(azurite)
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Metering:AllowedRequestsPerMonth:Standard"] = "3",
    };
}

public sealed class RequestLimitTests(CappedPlanFixture cluster) : IClassFixture<CappedPlanFixture>
{
    [Fact]
    public async Task Over_the_plans_allowed_requests_messages_are_denied_RequestLimit_and_a_session_they_opened_is_refunded_B8()
    {
        var (_, app) = await cluster.NewAppAsync();

        var allowed = new List<MeterDecision>();
        for (var i = 0; i < 3; i++)
            allowed.Add(await cluster.Meter(cluster.Message(app, "ann")));
        var overCapSameSession = await cluster.Meter(cluster.Message(app, "ann"));
        var overCapNewSession = await cluster.Meter(cluster.Message(app, "ben"));

        Assert.All(allowed, d => Assert.True(d.IsAllowed));
        Assert.Equal(DenialReason.RequestLimit, overCapSameSession.Reason);
        Assert.Equal(DenialReason.RequestLimit, overCapNewSession.Reason);
        var (_, free) = await cluster.LedgerOf(AppWalletGrain.BookId(app), WalletAccounts.Free);
        var charges = free.Where(e => e.Kind is LedgerEntryKind.Charge or LedgerEntryKind.Refund).Sum(e => e.AmountUsd);
        Assert.Equal(-0.20m, charges); // ann's one session; ben's was charged and refunded
        Assert.Single(free, e => e.Kind == LedgerEntryKind.Refund);
        await cluster.AssertWalletConsistent(app);
    }
}
