using Billing.Apps;
using Billing.Ledgers;
using Billing.Metering;
using Billing.Notifications;
using Billing.Tests.Infrastructure;
using Billing.Wallets;
using Billing.Workspaces;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace Billing.Tests.Notifications;

/// <summary>A cluster whose silos hand their billing events to a recorder, for the tests of the metering producers.</summary>
public sealed class TriggerFixture(AzuriteFixture azurite) : IAsyncLifetime
{
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 2, 9, 0, 0, TimeSpan.Zero));

    public RecordedBillingEvents Events { get; } = new();

    public TestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public async ValueTask InitializeAsync() => Cluster = await BillingTestCluster.StartAsync(azurite, Clock, silos: 1, events: Events);

    public async ValueTask DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }

    public async Task<(string WorkspaceId, string AppId, string Owner)> NewAppAsync()
    {
        var workspaceId = "ws_" + Guid.NewGuid().ToString("N");
        var appId = "app_" + Guid.NewGuid().ToString("N");
        var owner = "owner-" + workspaceId;
        await Client.GetGrain<IWorkspaceGrain>(workspaceId).Create(new CreateWorkspace("Acme", owner));
        await Client.GetGrain<IAppGrain>(appId).Create(new CreateApp(workspaceId, "Support bot", Product.AutomationAi, owner, null));
        return (workspaceId, appId, owner);
    }

    public Task<LedgerEntry> Adjust(IAppWalletGrain wallet, decimal amountUsd) =>
        wallet.Adjust(new WalletAdjustment(LedgerEntryKind.Grant, amountUsd, "test funding", "operator-1", Guid.NewGuid().ToString("N")));

    public ChannelMessage Message(string appId, string user, string? messageId = null) =>
        new(messageId ?? "m-" + Guid.NewGuid().ToString("N"), appId, "webchat", ChannelClass.Chat, user, "kore-" + user, Clock.GetUtcNow(), MessageKind.UserMessage);
}

/// <summary>The events the metering grains raise for the emails: once per occurrence, with deterministic ids.</summary>
public sealed class NotificationTriggerTests(TriggerFixture fx) : IClassFixture<TriggerFixture>
{
    private IReadOnlyList<T> EventsOf<T>(string workspaceId) where T : BillingEvent => [.. fx.Events.OfType<T>().Where(e => e.WorkspaceId == workspaceId)];

    [Fact]
    public async Task Creating_a_workspace_raises_its_welcome_event_once_W1_C1()
    {
        var (workspaceId, _, owner) = await fx.NewAppAsync();
        await Assert.ThrowsAsync<Billing.Errors.BillingException>(() => fx.Client.GetGrain<IWorkspaceGrain>(workspaceId).Create(new CreateWorkspace("Acme", owner)));

        var created = Assert.Single(EventsOf<WorkspaceCreated>(workspaceId));
        Assert.Equal(("workspace-created:" + workspaceId, owner, "Acme", 500m), (created.EventId, created.OwnerUserId, created.WorkspaceName, created.FreeCreditsUsd));
        Assert.Equal(created.OccurredAt.AddDays(90), created.FreeCreditsExpireAt);
    }

    [Fact]
    public async Task Free_credits_used_up_raise_the_summary_once_when_the_pool_runs_dry_C2()
    {
        var (workspaceId, appId, owner) = await fx.NewAppAsync();
        // Leave $1 in the pool: the app's first draw empties it.
        await fx.Client.GetGrain<IFreeCreditPoolGrain>(workspaceId).Adjust(new WalletAdjustment(LedgerEntryKind.Adjustment, -499m, "test: almost used up", "operator-1", Guid.NewGuid().ToString("N")));

        var decisions = new List<MeterDecision>();
        for (var i = 0; i < 6; i++)
            decisions.Add(await fx.Client.Meter(fx.Message(appId, $"user-{i}")));

        Assert.Equal([true, true, true, true, true, false], decisions.Select(d => d.IsAllowed)); // $1 is five $0.20 sessions
        var exhausted = Assert.Single(EventsOf<FreeCreditsExhausted>(workspaceId));
        Assert.Equal(($"free-credits-exhausted:{workspaceId}:used-up", FreeCreditsEndReason.UsedUp, 1m), (exhausted.EventId, exhausted.Reason, exhausted.GrantedUsd));
        var app = Assert.Single(exhausted.Apps);
        Assert.Equal((appId, "Support bot", owner), (app.AppId, app.AppName, app.OwnerUserId));
        Assert.True(app.Active); // it had just drawn the last dollar and still runs on it
    }

    [Fact]
    public async Task Free_credits_expiring_raise_the_summary_with_each_apps_use_once_C2()
    {
        var (workspaceId, appId, owner) = await fx.NewAppAsync();
        Assert.True((await fx.Client.Meter(fx.Message(appId, "alice"))).IsAllowed);
        fx.Clock.Advance(TimeSpan.FromDays(91));
        var pool = fx.Client.GetGrain<IFreeCreditPoolGrain>(workspaceId);
        await pool.GetStats();
        await pool.GetStats();

        var expired = Assert.Single(EventsOf<FreeCreditsExhausted>(workspaceId));
        Assert.Equal(($"free-credits-exhausted:{workspaceId}:expired", FreeCreditsEndReason.Expired), (expired.EventId, expired.Reason));
        Assert.Equal((500m, 0.20m, 499.80m), (expired.GrantedUsd, expired.UsedUsd, expired.ForfeitedUsd));
        Assert.Equal([new Billing.Notifications.AppFreeCreditUse(appId, "Support bot", owner, 0.20m, 0m, false)], expired.Apps);
    }

    [Fact]
    public async Task A_sandbox_test_clock_moved_to_day_90_forfeits_the_free_credits_with_their_ledger_entries_and_event_C2()
    {
        var (workspaceId, appId, owner) = await fx.NewAppAsync();
        Assert.True((await fx.Client.Meter(fx.Message(appId, "alice"))).IsAllowed); // the app draws a block and spends $0.20
        var clock = fx.Client.GetGrain<Billing.Payments.ITestClockGrain>(workspaceId);
        var pool = fx.Client.GetGrain<IFreeCreditPoolGrain>(workspaceId);

        await clock.Advance(TimeSpan.FromDays(89));
        var atDay89 = await pool.GetStats();
        var eventsAtDay89 = EventsOf<FreeCreditsExhausted>(workspaceId);
        await clock.Advance(TimeSpan.FromDays(1));
        var atDay90 = await pool.GetStats();

        Assert.Equal((false, 0m, 499.80m), (atDay89.Expired, atDay89.ForfeitedUsd, atDay89.RemainingUsd));
        Assert.Empty(eventsAtDay89);
        Assert.Equal((true, 499.80m, 0m), (atDay90.Expired, atDay90.ForfeitedUsd, atDay90.RemainingUsd));
        // One Expiry entry in the pool and one in the app's drawn block, dated at the expiry on the workspace's clock.
        var poolExpiry = Assert.Single((await pool.GetLedger(0, 100)).Entries, e => e.Kind == LedgerEntryKind.Expiry);
        var appExpiry = Assert.Single((await fx.Client.GetGrain<IAppWalletGrain>(appId).GetLedger(WalletAccounts.Free, 0, 100)).Entries, e => e.Kind == LedgerEntryKind.Expiry);
        Assert.Equal(499.80m, -(poolExpiry.AmountUsd + appExpiry.AmountUsd));
        Assert.Equal((atDay90.ExpiresAt, atDay90.ExpiresAt), (poolExpiry.At, appExpiry.At));
        var expired = Assert.Single(EventsOf<FreeCreditsExhausted>(workspaceId));
        Assert.Equal((FreeCreditsEndReason.Expired, 500m, 0.20m, 499.80m), (expired.Reason, expired.GrantedUsd, expired.UsedUsd, expired.ForfeitedUsd));
        Assert.Equal([new Billing.Notifications.AppFreeCreditUse(appId, "Support bot", owner, 0.20m, 0m, false)], expired.Apps);
        // C5: with nothing paid and the free credits gone, the app stops answering; its messages keep their own time.
        Assert.Equal(DenialReason.NoCredits, (await fx.Client.Meter(fx.Message(appId, "bob"))).Reason);
    }

    [Fact]
    public async Task A_paid_wallet_reaching_zero_without_free_credits_raises_its_event_once_per_occurrence()
    {
        var (workspaceId, appId, _) = await fx.NewAppAsync();
        fx.Clock.Advance(TimeSpan.FromDays(91));
        await fx.Client.GetGrain<IFreeCreditPoolGrain>(workspaceId).GetStats(); // the free credits expire (C2)
        var wallet = fx.Client.GetGrain<IAppWalletGrain>(appId);
        await fx.Adjust(wallet, 0.40m);

        await fx.Client.Meter(fx.Message(appId, "alice"));
        var emptying = fx.Message(appId, "bob");
        await fx.Client.Meter(emptying);
        await fx.Client.Meter(emptying); // a retried message replays its charge
        await fx.Client.Meter(fx.Message(appId, "carol")); // refused: nothing left, nothing new raised

        var raised = EventsOf<PaidWalletExhausted>(workspaceId);
        var ev = Assert.Single(raised.DistinctBy(e => e.EventId));
        Assert.False(ev.FreeCreditsAvailable);
        Assert.Equal(0m, ev.FreeCreditsRemainingUsd);
        Assert.Equal(appId, ev.AppId);
        var paidEntries = (await wallet.GetLedger(WalletAccounts.Paid, 0, 100)).Entries;
        var emptied = paidEntries[^1];
        Assert.Equal(0m, emptied.BalanceAfterUsd);
        Assert.Equal($"paid-wallet-exhausted:{appId}:{emptied.Seq}", ev.EventId);

        // A new occurrence: funded again and emptied again is a second event.
        await fx.Adjust(wallet, 0.20m);
        await fx.Client.Meter(fx.Message(appId, "dave"));
        Assert.Equal(2, EventsOf<PaidWalletExhausted>(workspaceId).DistinctBy(e => e.EventId).Count());
    }

    [Fact]
    public async Task A_paid_wallet_reaching_zero_with_free_credits_behind_it_says_how_much_is_left_C4()
    {
        var (workspaceId, appId, _) = await fx.NewAppAsync();
        await fx.Adjust(fx.Client.GetGrain<IAppWalletGrain>(appId), 0.20m);
        await fx.Client.Meter(fx.Message(appId, "alice")); // paid first (C4): the $0.20 empties the paid wallet

        var ev = Assert.Single(EventsOf<PaidWalletExhausted>(workspaceId));
        Assert.True(ev.FreeCreditsAvailable);
        Assert.Equal(500m, ev.FreeCreditsRemainingUsd);
    }
}
