using Billing.Ledgers;
using Billing.Metering;
using Billing.Wallets;
using FsCheck.Xunit;

namespace Billing.Tests.Metering;

/// <summary>
/// C6, C7 as a property: whatever sequence of messages, grants, adjustments and clock moves hits an app, every
/// balance equals the sum of its ledger and never goes below zero, and the workspace's free credits add up.
/// </summary>
public sealed class LedgerPropertyTests(MeteringFixture cluster) : IClassFixture<MeteringFixture>
{
    /// <remarks>
    /// Each generated int is one operation (FsCheck shrinks a failing sequence to a short one); a case runs at most 25
    /// of them against the cluster. The cluster is async and the property synchronous: the case runs on the pool so
    /// that blocking on it never waits for the test's own synchronisation context.
    /// </remarks>
    [Property(MaxTest = 200, StartSize = 1, EndSize = 25)]
    public bool Every_balance_equals_its_ledger_and_never_goes_negative_under_random_operations_C6_C7(int[] codes) =>
        Task.Run(() => RunAsync(codes.Take(25).ToArray())).GetAwaiter().GetResult();

    private async Task<bool> RunAsync(int[] codes)
    {
        var (workspace, app) = await cluster.NewAppAsync();
        var wallet = cluster.Client.GetGrain<IAppWalletGrain>(app);
        var decisions = new List<MeterDecision>();
        foreach (var code in codes)
        {
            var n = Math.Abs(code % 1000);
            switch (Math.Abs(code) % 5)
            {
                case 0 or 1:
                    decisions.Add(await cluster.Meter(cluster.Message(app, $"user-{n % 4}", channelClass: n % 2 == 0 ? ChannelClass.Chat : ChannelClass.Voice)));
                    break;
                case 2:
                    await wallet.Adjust(new WalletAdjustment(LedgerEntryKind.Grant, 0.01m * (1 + (n % 50)), "property grant", "op", Guid.NewGuid().ToString("N")));
                    break;
                case 3:
                    // An adjustment down: refused (400) when it would overdraw, which must change nothing.
                    try
                    {
                        await wallet.Adjust(new WalletAdjustment(LedgerEntryKind.Adjustment, -0.01m * (1 + (n % 50)), "property correction", "op", Guid.NewGuid().ToString("N")));
                    }
                    catch (Billing.Errors.BillingException e) when (e.Code == "adjustment.amount.exceeds-balance")
                    {
                    }

                    break;
                default:
                    cluster.Clock.Advance(n % 3 == 0 ? TimeSpan.FromDays(30) : TimeSpan.FromMinutes(n % 20));
                    break;
            }
        }

        await cluster.AssertWalletConsistent(app);
        var charged = decisions.Where(d => d.IsAllowed).Sum(d => d.ChargedUsd);
        var (_, paid) = await cluster.LedgerOf(AppWalletGrain.BookId(app), WalletAccounts.Paid);
        var (_, free) = await cluster.LedgerOf(AppWalletGrain.BookId(app), WalletAccounts.Free);
        var chargedInLedgers = -paid.Concat(free).Where(e => e.Kind == LedgerEntryKind.Charge).Sum(e => e.AmountUsd);
        var stats = await cluster.Client.GetGrain<IFreeCreditPoolGrain>(workspace).GetStats();
        return charged == chargedInLedgers
            && decisions.All(d => d.IsAllowed ? d.PaidUsd + d.FreeUsd == d.ChargedUsd : d.ChargedUsd == 0m)
            // The workspace's "used" is derived from its pool and the apps' balances; it must match the charges
            // the app's free ledger actually holds (the workspace has this one app).
            && stats.UsedUsd == -free.Where(e => e.Kind == LedgerEntryKind.Charge).Sum(e => e.AmountUsd)
            && stats.RemainingUsd >= 0m;
    }
}
