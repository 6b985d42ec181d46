using Billing.Ledgers;
using Billing.Metering;
using Billing.Tests.Payments;
using Billing.Usage;
using Billing.Wallets;
using Billing.Workspaces;

namespace Billing.Tests.Metering;

/// <summary>The per-message decision end to end on a real cluster and Azurite (SPEC sections 4 and 5).</summary>
public sealed class MeteringTests(MeteringFixture cluster) : IClassFixture<MeteringFixture>
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task A_31_minute_conversation_is_three_billing_sessions_B1_B2()
    {
        var (_, app) = await cluster.NewAppAsync();
        var start = cluster.Clock.GetUtcNow();
        var decisions = new List<MeterDecision>();
        foreach (var minute in new[] { 0, 5, 14, 16, 29, 31 })
        {
            cluster.Clock.SetUtcNow(start + (minute * Minute));
            decisions.Add(await cluster.Meter(cluster.Message(app, "alice")));
        }

        Assert.All(decisions, d => Assert.True(d.IsAllowed));
        Assert.Equal([true, false, false, true, false, true], decisions.Select(d => d.OpenedBillingSession));
        Assert.Single(decisions.Select(d => d.ConversationSessionId).Distinct());
        Assert.Equal(3, decisions.Select(d => d.BillingSessionId).Distinct().Count());
        Assert.Equal(0.60m, decisions.Sum(d => d.ChargedUsd));
        await cluster.AssertWalletConsistent(app);
    }

    [Fact]
    public async Task A_gap_as_long_as_the_idle_timeout_starts_a_new_conversation_B1()
    {
        var (_, app) = await cluster.NewAppAsync();
        var first = await cluster.Meter(cluster.Message(app, "bob"));
        cluster.Clock.Advance(TimeSpan.FromMinutes(15));
        var second = await cluster.Meter(cluster.Message(app, "bob"));

        Assert.True(second.OpenedBillingSession);
        Assert.NotEqual(first.ConversationSessionId, second.ConversationSessionId);
    }

    [Fact]
    public async Task A_search_inside_an_open_session_is_free_and_one_that_opens_a_session_is_charged_B3()
    {
        var (_, app) = await cluster.NewAppAsync();
        var opening = await cluster.Meter(cluster.Message(app, "carol", kind: MessageKind.Search));
        cluster.Clock.Advance(Minute);
        var inside = await cluster.Meter(cluster.Message(app, "carol", kind: MessageKind.Search));

        Assert.Equal(0.20m, opening.ChargedUsd);
        Assert.False(inside.OpenedBillingSession);
        Assert.Equal(0m, inside.ChargedUsd);
    }

    [Fact]
    public async Task A_session_charge_retried_after_the_wallet_started_over_is_answered_from_the_first_charge_B4_C7()
    {
        // The wallet's postings live in the silo journal; a wallet that starts over must still know the billing sessions
        // it charged within the retry window (the case of a crash after the charge and before the usage record).
        var (_, app) = await cluster.NewPaidOnlyAppAsync(10m);
        var wallet = cluster.Client.GetGrain<IAppWalletGrain>(app);
        var openedAt = cluster.Clock.GetUtcNow();
        var first = await wallet.ChargeSession("bs_charged_before_a_restart", ChannelClass.Chat, openedAt);
        var management = cluster.Client.GetGrain<IManagementGrain>(0);
        var before = await management.GetTotalActivationCount();

        await management.ForceActivationCollection(TimeSpan.Zero); // every idle activation goes: the wallet starts over
        cluster.Clock.Advance(TimeSpan.FromMinutes(25));
        var retried = await wallet.ChargeSession("bs_charged_before_a_restart", ChannelClass.Chat, openedAt);

        Assert.True(await management.GetTotalActivationCount() < before, "the wallet was not deactivated");
        Assert.Equal(first, retried);
        var (sum, entries) = await cluster.LedgerOf(AppWalletGrain.BookId(app), WalletAccounts.Paid);
        Assert.Single(entries, e => e.IdempotencyKey == "bs_charged_before_a_restart");
        Assert.Equal(9.80m, sum);
    }

    [Fact]
    public async Task A_session_charge_retried_after_the_free_credits_expired_is_answered_from_the_first_charge_B4_C2()
    {
        // The crash between a session's charge and its usage record, then the 90th day: the adapter's retry must get the
        // session it paid for, not a NoCredits denial that leaves the charge without a message (found by the simulator).
        var (workspace, app) = await cluster.NewAppAsync();
        var wallet = cluster.Client.GetGrain<IAppWalletGrain>(app);
        var openedAt = cluster.Clock.GetUtcNow();
        var first = await wallet.ChargeSession("bs_charged_before_expiry", ChannelClass.Chat, openedAt);
        await cluster.Client.GetGrain<Billing.Payments.ITestClockGrain>(workspace).Advance(TimeSpan.FromDays(91)); // the sandbox's test clock

        var retried = await wallet.ChargeSession("bs_charged_before_expiry", ChannelClass.Chat, openedAt);
        await cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero); // and once the wallet started over
        var retriedAfterRestart = await wallet.ChargeSession("bs_charged_before_expiry", ChannelClass.Chat, openedAt);
        var unpaid = await wallet.ChargeSession("bs_opened_after_expiry", ChannelClass.Chat, cluster.Clock.GetUtcNow());

        Assert.Equal((true, 0.20m), (first.Covered, first.FreeUsd));
        Assert.Equal(first, retried);
        Assert.Equal(first, retriedAfterRestart);
        Assert.False(unpaid.Covered);
        var (free, entries) = await cluster.LedgerOf(AppWalletGrain.BookId(app), WalletAccounts.Free);
        Assert.Single(entries, e => e.Kind == LedgerEntryKind.Charge);
        Assert.Equal(0m, free);
    }

    [Fact]
    public async Task A_retried_message_id_answers_the_first_decision_and_is_charged_once_B4()
    {
        var (_, app) = await cluster.NewAppAsync();
        var message = cluster.Message(app, "dave");

        var first = await cluster.Meter(message);
        var retries = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => cluster.Meter(message)));

        Assert.All(retries, r => Assert.Equal(first, r));
        var balance = await cluster.Client.GetGrain<IAppWalletGrain>(app).GetBalance();
        var (_, charges) = await cluster.LedgerOf(AppWalletGrain.BookId(app), WalletAccounts.Free);
        Assert.Single(charges, e => e.Kind == LedgerEntryKind.Charge);
        Assert.Equal(1, (await cluster.Client.GetGrain<IUsageLogGrain>(UsageLogKey.For(app, message.Timestamp)).GetTotals()).Requests);
        Assert.True(balance.FreeDrawnUsd >= 0m);
    }

    [Fact]
    public async Task A_charge_is_split_between_paid_and_free_credits_paid_first_by_default_C4()
    {
        var (_, app) = await cluster.NewAppAsync();
        await cluster.Grant(app, 0.10m);

        var decision = await cluster.Meter(cluster.Message(app, "erin"));

        Assert.True(decision.IsAllowed);
        Assert.Equal((0.20m, 0.10m, 0.10m), (decision.ChargedUsd, decision.PaidUsd, decision.FreeUsd));
        Assert.Equal(0m, (await cluster.Client.GetGrain<IAppWalletGrain>(app).GetBalance()).PaidUsd);
        await cluster.AssertWalletConsistent(app);
    }

    [Fact]
    public async Task With_free_first_the_free_credits_pay_before_the_paid_wallet_C4()
    {
        var (workspace, app) = await cluster.NewAppAsync();
        await cluster.Grant(app, 10m);
        await cluster.Client.GetGrain<IWorkspaceGrain>(workspace).SetConsumptionOrder(ConsumptionOrder.FreeFirst);
        cluster.Clock.Advance(Minute); // wallets re-read the workspace's order at most a minute later (docs/metering.md)

        var decision = await cluster.Meter(cluster.Message(app, "frank"));

        Assert.Equal((0m, 0.20m), (decision.PaidUsd, decision.FreeUsd));
    }

    [Fact]
    public async Task With_neither_paid_nor_free_credits_the_app_is_denied_NoCredits_and_nothing_is_charged_C5()
    {
        var (_, app) = await cluster.NewPaidOnlyAppAsync(paidUsd: 0m);

        var decision = await cluster.Meter(cluster.Message(app, "gina"));

        Assert.Equal((Verdict.Denied, DenialReason.NoCredits), (decision.Verdict, decision.Reason));
        var (sum, entries) = await cluster.LedgerOf(AppWalletGrain.BookId(app), WalletAccounts.Paid);
        Assert.Empty(entries);
        Assert.Equal(0m, sum);
    }

    [Fact]
    public async Task Unknown_apps_and_malformed_messages_are_denied_with_their_reason()
    {
        var unknown = await cluster.Meter(cluster.Message("app_" + Guid.NewGuid().ToString("N"), "hal"));
        var (_, app) = await cluster.NewAppAsync();
        var stale = await cluster.Meter(cluster.Message(app, "hal", at: cluster.Clock.GetUtcNow().AddHours(-2)));
        var noId = await cluster.Meter(cluster.Message(app, "hal", messageId: ""));

        Assert.Equal(DenialReason.UnknownApp, unknown.Reason);
        Assert.Equal(DenialReason.InvalidMessage, stale.Reason);
        Assert.Equal(DenialReason.InvalidMessage, noId.Reason);
    }

    [Fact]
    public async Task Free_credits_are_forfeited_at_day_90_once_even_when_the_reminder_ticks_twice_C1_C2()
    {
        var (workspace, app) = await cluster.NewAppAsync();
        await cluster.Meter(cluster.Message(app, "ivy")); // draws a block of free credits into the app
        var pool = cluster.Client.GetGrain<IFreeCreditPoolGrain>(workspace);
        var before = await pool.GetStats();

        cluster.Clock.Advance(TimeSpan.FromDays(90));
        var reminder = pool.AsReference<IRemindable>();
        await reminder.ReceiveReminder("free-credit-expiry", default);
        await reminder.ReceiveReminder("free-credit-expiry", default);
        var after = await pool.GetStats();

        Assert.Equal((500m, 0.20m, 499.80m), (before.GrantedUsd, before.UsedUsd, before.RemainingUsd));
        Assert.True(after.Expired);
        Assert.Equal((0m, 499.80m, 0.20m), (after.RemainingUsd, after.ForfeitedUsd, after.UsedUsd));
        var (poolSum, poolEntries) = await cluster.LedgerOf(FreeCreditPoolGrain.BookId(workspace), FreeCreditPoolGrain.Account);
        Assert.Equal(0m, poolSum);
        Assert.Single(poolEntries, e => e.Kind == LedgerEntryKind.Expiry);
        var (appFree, appEntries) = await cluster.LedgerOf(AppWalletGrain.BookId(app), WalletAccounts.Free);
        Assert.Equal(0m, appFree);
        Assert.Single(appEntries, e => e.Kind == LedgerEntryKind.Expiry);
        Assert.Equal(DenialReason.NoCredits, (await cluster.Meter(cluster.Message(app, "ivy-2"))).Reason);
    }

    [Fact]
    public async Task A_draw_a_crash_interrupted_is_finished_and_forfeited_when_the_pool_expires_the_credits_C2_C5()
    {
        // Found by the simulator: a wallet that finished its interrupted draw inside its activation, woken by the pool's
        // expiry, waited on the pool while the pool waited on the wallet, for ever. Here the pool made the draw and the
        // wallet crashed before booking it: the expiry must complete, with the draw booked once and then forfeited.
        var (workspace, app) = await cluster.NewAppAsync();
        Assert.True((await cluster.Meter(cluster.Message(app, "kim"))).IsAllowed); // the wallet's first draw, $0.20 spent
        var pool = cluster.Client.GetGrain<IFreeCreditPoolGrain>(workspace);
        var walletId = cluster.Client.GetGrain<IAppWalletGrain>(app).GetGrainId();
        await cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        var stored = await StoredStates.ReadAsync<AppWalletState>(cluster.Cluster, "app-wallet", walletId);
        var drawId = $"{app}:{stored.Draws + 1}";
        stored.PendingDrawId = drawId;
        await StoredStates.WriteAsync(cluster.Cluster, "app-wallet", walletId, stored);
        Assert.Equal(10m, (await pool.Draw(app, drawId, 10m)).AmountUsd); // the pool's half of the draw, its answer lost

        cluster.Clock.Advance(TimeSpan.FromDays(91));
        // The pool's expiry tick wakes the wallet. It may find the draw still being finished and leave the app for its
        // next tick (each tick bounded: a deadlock fails here rather than hanging the suite).
        FreeCreditStats? after = null;
        for (var tick = 1; tick <= 20 && after is not { Expired: true }; tick++)
        {
            try
            {
                await pool.RunDue().WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
            }
            catch (InvalidOperationException)
            {
                // "some apps could not forfeit yet": the wallet's draw was still in flight
            }
            after = await pool.GetStats();
        }

        Assert.NotNull(after);
        Assert.True(after.Expired);
        Assert.Equal((0m, 499.80m, 0.20m), (after.RemainingUsd, after.ForfeitedUsd, after.UsedUsd));
        var (appFree, appEntries) = await cluster.LedgerOf(AppWalletGrain.BookId(app), WalletAccounts.Free);
        Assert.Equal(0m, appFree);
        Assert.Single(appEntries, e => e.IdempotencyKey == $"draw:{drawId}" && e.AmountUsd == 10m);
        Assert.Single(appEntries, e => e.Kind == LedgerEntryKind.Expiry);
        Assert.Null((await StoredStates.ReadAsync<AppWalletState>(cluster.Cluster, "app-wallet", walletId)).PendingDrawId);
        await cluster.AssertWalletConsistent(app);
    }

    [Fact]
    public async Task Fifty_new_end_users_at_once_on_a_fresh_workspace_are_all_allowed_while_free_credits_remain_C1_C5()
    {
        // Each opening charge draws free credits in blocks of 25 sessions; the charges that waited on a block the others
        // spent must draw again rather than be denied while the workspace still holds $490 (C5 denies only when
        // neither paid nor free credits can cover the charge).
        var (workspace, app) = await cluster.NewAppAsync();

        var decisions = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => cluster.Meter(cluster.Message(app, $"newcomer-{i}"))));

        Assert.All(decisions, d => Assert.Equal((Verdict.Allowed, DenialReason.None), (d.Verdict, d.Reason)));
        Assert.Equal(10m, decisions.Sum(d => d.FreeUsd));
        var stats = await cluster.Client.GetGrain<IFreeCreditPoolGrain>(workspace).GetStats();
        Assert.Equal((500m, 10m, 490m), (stats.GrantedUsd, stats.UsedUsd, stats.RemainingUsd));
        var (_, charges) = await cluster.LedgerOf(AppWalletGrain.BookId(app), WalletAccounts.Free);
        Assert.Equal(50, charges.Count(e => e.Kind == LedgerEntryKind.Charge));
        await cluster.AssertWalletConsistent(app);
    }

    [Fact]
    public async Task A_thousand_sessions_at_once_against_a_balance_for_100_allow_exactly_100_C6()
    {
        var (_, app) = await cluster.NewPaidOnlyAppAsync(paidUsd: 20m);

        var decisions = await Task.WhenAll(Enumerable.Range(0, 1000).Select(i => cluster.Meter(cluster.Message(app, $"user-{i}"))));

        Assert.Equal(100, decisions.Count(d => d.IsAllowed));
        Assert.All(decisions.Where(d => !d.IsAllowed), d => Assert.Equal(DenialReason.NoCredits, d.Reason));
        var (sum, entries) = await cluster.LedgerOf(AppWalletGrain.BookId(app), WalletAccounts.Paid);
        Assert.Equal(0m, sum);
        Assert.Equal(100, entries.Count(e => e.Kind == LedgerEntryKind.Charge));
        await cluster.AssertWalletConsistent(app);
    }

    [Fact]
    public async Task Every_allowed_message_is_recorded_with_the_export_fields_U2()
    {
        var (_, app) = await cluster.NewAppAsync();
        var sent = new List<MeterDecision>();
        for (var i = 0; i < 3; i++)
        {
            sent.Add(await cluster.Meter(cluster.Message(app, "jo", channelClass: ChannelClass.Voice)));
            cluster.Clock.Advance(Minute);
        }

        var day = DateOnly.FromDateTime(cluster.Clock.GetUtcNow().UtcDateTime);
        var records = new List<UsageRecord>();
        await foreach (var r in cluster.Client.ExportUsage(app, day.AddDays(-1), day))
            records.Add(r);

        Assert.Equal(sent.Select(d => d.MessageId), records.Select(r => r.MessageId));
        Assert.All(records, r => Assert.Equal((ChannelClass.Voice, "jo", "kore-jo"), (r.ChannelClass, r.ChannelUserId, r.PlatformUserId)));
        Assert.Equal(records[0].BillingSessionStart.AddMinutes(15), records[0].BillingSessionEnd);
        var trend = await cluster.Client.GetGrain<IUsageQueryGrain>(0).GetTrend([app], day.AddDays(-1), day, TrendGranularity.Day);
        Assert.Equal((1L, 3L), (trend.Sum(p => p.BillingSessions), trend.Sum(p => p.Requests)));
    }
}
