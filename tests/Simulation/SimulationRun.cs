using System.Collections.Concurrent;
using Billing.Apps;
using Billing.Errors;
using Billing.Metering;
using Billing.Notifications;
using Billing.Payments;
using Billing.Subscriptions;
using Billing.Users;
using Billing.Wallets;
using Billing.Workspaces;

namespace Billing.Tests.Simulation;

/// <summary>
/// One seeded run: a workspace with a paying app and a free-credit app; channel adapters delivering messages with
/// retries and duplicates; the owner buying credits, moving auto-reload, subscribing, jumping the sandbox test clock and
/// doubling reminder ticks; meanwhile storage faults and a silo restart. Then the faults stop and
/// <see cref="SimulationInvariants"/> checks what the product says happened.
/// </summary>
public sealed class SimulationRun(SimulationCluster cluster, SimulationScenario scenario, CancellationToken cancellationToken)
{
    private const int AdapterAttempts = 12;
    private readonly string _runId = Guid.NewGuid().ToString("N")[..8];
    private readonly ConcurrentDictionary<string, ConcurrentBag<MeterDecision>> _answers = new();
    private readonly ConcurrentBag<string> _unanswered = [];
    private readonly ConcurrentBag<string> _ownerLog = [];
    private readonly TaskCompletionSource _restartDue = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _answered;
    private int _totalMessages;
    private int _duplicates;
    private int _tickDoubles;
    private int _clockJumps;
    private TimeSpan _setUp;

    private IClusterClient Grains => cluster.Client;

    public string WorkspaceId { get; private set; } = "";

    public string OwnerId { get; private set; } = "";

    /// <summary>The app that buys credits and may reload and subscribe.</summary>
    public string PaidAppId { get; private set; } = "";

    /// <summary>The app that lives on the workspace's free credits (denied once they expire).</summary>
    public string FreeAppId { get; private set; } = "";

    public IReadOnlyDictionary<string, ConcurrentBag<MeterDecision>> Answers => _answers;

    public IReadOnlyCollection<string> Unanswered => _unanswered;

    public DateTimeOffset StartedAt { get; private set; }

    /// <summary>How the ids of the messages sent to <paramref name="appId"/> begin.</summary>
    public string MessagePrefix(string appId) => $"m-{_runId}-{(appId == PaidAppId ? 0 : 1)}-";

    public string Summary =>
        $"{_totalMessages} messages ({_answers.Count} answered, {_unanswered.Count} unanswered, {_duplicates} duplicate deliveries), "
        + $"{scenario.OwnerActions} owner actions, {_clockJumps} clock jumps, {_tickDoubles} doubled ticks; set-up {_setUp.TotalSeconds:0.0}s";

    public async Task RunAsync()
    {
        StartedAt = DateTimeOffset.UtcNow;
        await SetUpAsync();
        _setUp = DateTimeOffset.UtcNow - StartedAt;
        cluster.Proxy.Inject(scenario.Seed, scenario.StorageFaultRate);
        try
        {
            var users = Enumerable.Range(0, scenario.UsersPerApp).ToArray();
            _totalMessages = 2 * users.Length * scenario.MessagesPerUser;
            var adapters = new[] { PaidAppId, FreeAppId }
                .SelectMany((app, a) => users.Select(u => DeliverConversationAsync(app, a, u)))
                .ToList();
            var owner = OwnerAsync();
            var restart = RestartAsync();
            await Task.WhenAll(adapters);
            _restartDue.TrySetResult(); // a restart scheduled past the last message happens now
            await Task.WhenAll(owner, restart);
        }
        finally
        {
            cluster.Proxy.Heal();
        }
    }

    /// <summary>A set-up call, retried while the cluster recovers from the previous seed (set-up runs without faults).</summary>
    private async Task<T> SetUp<T>(Func<Task<T>> call)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (BillingException e) when (attempt > 1 && e.Kind == BillingErrorKind.Conflict)
            {
                // The earlier attempt did it before its answer was lost: a create answers "already exists" now.
                return default!;
            }
            catch (Exception e) when (attempt < 10 && IsTransient(e, cancellationToken))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250 * attempt), cancellationToken);
            }
        }
    }

    private async Task SetUpAsync()
    {
        OwnerId = $"owner-sim-{scenario.Seed}-{_runId}";
        WorkspaceId = $"ws_sim_{scenario.Seed}_{_runId}";
        PaidAppId = $"app_sim_{scenario.Seed}_{_runId}_paid";
        FreeAppId = $"app_sim_{scenario.Seed}_{_runId}_free";
        await SetUp(async () =>
        {
            await Grains.User(OwnerId).Record(new UserProfile($"{OwnerId}@example.com", "Sim Owner"));
            return true;
        });
        await SetUp(() => Grains.GetGrain<IWorkspaceGrain>(WorkspaceId).Create(new CreateWorkspace($"Simulation {scenario.Seed}", OwnerId)));
        await SetUp(() => Grains.GetGrain<IAppGrain>(PaidAppId).Create(new CreateApp(WorkspaceId, "Paid bot", Product.AutomationAi, OwnerId, null)));
        await SetUp(() => Grains.GetGrain<IAppGrain>(FreeAppId).Create(new CreateApp(WorkspaceId, "Free bot", Product.AutomationAi, OwnerId, null)));

        var payments = Grains.GetGrain<IAppPaymentsGrain>(PaidAppId);
        var vault = Grains.GetGrain<IPaymentMethodsGrain>(PaidAppId);
        var reload = Grains.GetGrain<IAutoReloadGrain>(PaidAppId);
        var paypal = await SetUp(() => vault.AddPaymentMethod(new AddPaymentMethod(PaymentMethodKind.PayPal, null, "buyer@sandbox.paypal.test", OwnerId)));
        var first = await SetUp(() => payments.AddFunds(new AddFunds($"pay-{_runId}-0", 100m, PaymentMethodKind.PayPal, paypal.Id, OwnerId)));
        if (first.Status != PaymentStatus.Succeeded)
            throw new InvalidOperationException($"Seed {scenario.Seed}: the first purchase, before any fault, ended {first.Status} ({first.FailureReason}).");
        await SetUp(() => reload.ConfigureAutoReload(new AutoReloadSettings(true, 100m, 100m - scenario.ReloadMinimumBelowBalanceUsd, paypal.Id), OwnerId));
        if (scenario.Subscribes)
            await SetUp(() => Grains.GetGrain<ISubscriptionGrain>(SubscriptionKeys.For(PaidAppId, PlanKind.Usage))
                .Subscribe(new SubscriptionOrder($"order-{_runId}", SubscriptionPlan.Essential, BillingPeriod.Monthly, paypal.Id, OwnerId)));
    }

    /// <summary>One end user's conversation as a channel adapter sees it: messages in order, each delivered until answered.</summary>
    private async Task DeliverConversationAsync(string appId, int appIndex, int user)
    {
        var random = new Random(ActorSeed(1 + (appIndex * 100) + user));
        // Timestamps within the metering retry window, moving forward a few minutes per message, so longer
        // conversations cross 15-minute billing-session boundaries (B1) and some gaps start new conversations.
        var at = StartedAt - TimeSpan.FromMinutes(25);
        var channel = random.Next(4) == 0 ? ("voice", ChannelClass.Voice) : ("webchat", ChannelClass.Chat);
        for (var k = 0; k < scenario.MessagesPerUser; k++)
        {
            at += TimeSpan.FromMinutes(random.Next(0, 9)) + TimeSpan.FromSeconds(random.Next(60));
            var now = DateTimeOffset.UtcNow;
            var message = new ChannelMessage(
                $"m-{_runId}-{appIndex}-{user}-{k}", appId, channel.Item1, channel.Item2, $"user-{user}", $"kore-{user}",
                at < now ? at : now, random.Next(5) == 0 ? MessageKind.Search : MessageKind.UserMessage);
            var duplicate = random.NextDouble() < scenario.DuplicateRate;
            if (duplicate && random.Next(2) == 0)
            {
                // The same message delivered twice at once (an adapter's retry racing its first attempt).
                Interlocked.Increment(ref _duplicates);
                await Task.WhenAll(DeliverAsync(message), DeliverAsync(message));
            }
            else
            {
                await DeliverAsync(message);
                if (duplicate)
                {
                    Interlocked.Increment(ref _duplicates);
                    await DeliverAsync(message);
                }
            }

            if (Interlocked.Increment(ref _answered) >= (scenario.Restart?.AfterMessages ?? int.MaxValue))
                _restartDue.TrySetResult();
        }
    }

    private async Task DeliverAsync(ChannelMessage message)
    {
        for (var attempt = 1; attempt <= AdapterAttempts; attempt++)
        {
            try
            {
                // Bounded beyond Orleans' own 30 s response timeout, which a grain turn that never ends keeps extending.
                var decision = await Grains.Meter(message).WaitAsync(TimeSpan.FromSeconds(35), cancellationToken);
                _answers.GetOrAdd(message.MessageId, _ => []).Add(decision);
                return;
            }
            catch (Exception e) when (IsTransient(e, cancellationToken))
            {
                // An adapter's back-off between retries of the same message id (B4), not a wait for the product.
                await Task.Delay(TimeSpan.FromMilliseconds(150 * attempt), cancellationToken);
            }
        }

        _unanswered.Add(message.MessageId);
    }

    /// <summary>The owner's actions, spread over the run: each waits for a share of the messages to be answered first.</summary>
    private async Task OwnerAsync()
    {
        var random = new Random(ActorSeed(0));
        var payments = Grains.GetGrain<IAppPaymentsGrain>(PaidAppId);
        var vault = Grains.GetGrain<IPaymentMethodsGrain>(PaidAppId);
        var reload = Grains.GetGrain<IAutoReloadGrain>(PaidAppId);
        var expired = false;
        for (var i = 0; i < scenario.OwnerActions; i++)
        {
            var threshold = _totalMessages * (i + 1) / (scenario.OwnerActions + 1);
            while (Volatile.Read(ref _answered) < threshold && !AllDelivered())
                await Task.Delay(20, cancellationToken); // polls the adapters' progress, bounded by their own retries
            var action = random.Next(8);
            var id = $"pay-{_runId}-{i + 1}";
            switch (action)
            {
                case 0:
                    // PayPal purchase; a third of the time the owner's client retries the same request.
                    var amount = 100m + random.Next(0, 3) * 50m;
                    await Owner($"purchase {id}", async () => await payments.AddFunds(new AddFunds(id, amount, PaymentMethodKind.PayPal, await MethodOf(vault, PaymentMethodKind.PayPal), OwnerId)), retryAgain: random.Next(3) == 0);
                    break;
                case 1:
                    // Card purchase: OTP, sometimes confirmed twice at once (a double click).
                    await Owner($"card purchase {id}", async () =>
                    {
                        var methods = await vault.GetPaymentMethods();
                        var card = methods.FirstOrDefault(m => m.Kind == PaymentMethodKind.Card)
                            ?? await vault.AddPaymentMethod(new AddPaymentMethod(PaymentMethodKind.Card, new NewCard("4242424242424242", "Sim Owner", 12, DateTimeOffset.UtcNow.Year + 3, "123"), null, OwnerId));
                        var payment = await payments.AddFunds(new AddFunds(id, 150m, PaymentMethodKind.Card, card.Id, OwnerId));
                        if (payment.Status == PaymentStatus.RequiresOtp)
                            await Task.WhenAll(payments.ConfirmOtp(id, "123456"), random.Next(2) == 0 ? payments.ConfirmOtp(id, "123456") : Task.FromResult(payment));
                        return payment;
                    });
                    break;
                case 2:
                    // A purchase the sandbox declines: money must not move.
                    await Owner($"declined purchase {id}", async () =>
                    {
                        var methods = await vault.GetPaymentMethods();
                        var declined = methods.FirstOrDefault(m => m.PayPalEmail == "declined@sandbox.paypal.test")
                            ?? await vault.AddPaymentMethod(new AddPaymentMethod(PaymentMethodKind.PayPal, null, "declined@sandbox.paypal.test", OwnerId));
                        return await payments.AddFunds(new AddFunds(id, 100m, PaymentMethodKind.PayPal, declined.Id, OwnerId));
                    });
                    break;
                case 3:
                    // Owner moves the reload minimum to just under the paid balance: a reload falls due within a few sessions.
                    await Owner("auto-reload minimum", async () =>
                    {
                        var balance = await Grains.GetGrain<IAppWalletGrain>(PaidAppId).GetBalance();
                        var minimum = Math.Max(0m, decimal.Round(balance.PaidUsd - random.Next(0, 4) * 0.20m, 2));
                        return await reload.ConfigureAutoReload(new AutoReloadSettings(true, 100m, minimum, await MethodOf(vault, PaymentMethodKind.PayPal)), OwnerId);
                    });
                    break;
                case 4:
                    await Owner("auto-reload off", () => reload.ConfigureAutoReload(new AutoReloadSettings(false, null, null, null), OwnerId));
                    break;
                case 5:
                    // Reminder ticks doubled: every due-date grain of the workspace woken twice at once.
                    Interlocked.Increment(ref _tickDoubles);
                    await Owner("doubled ticks", async () =>
                    {
                        await Task.WhenAll(Enumerable.Range(0, 2).SelectMany(_ => Ticks()));
                        return true;
                    });
                    break;
                default:
                    // The sandbox test clock jumps: renewals, reload retries and (once, 91 days) free-credit expiry fall due.
                    var days = scenario.ExpiresFreeCredits && !expired && random.Next(2) == 0 ? 91 : random.Next(1, 36);
                    expired |= days == 91;
                    Interlocked.Increment(ref _clockJumps);
                    await Owner($"clock +{days}d", () => Grains.GetGrain<ITestClockGrain>(WorkspaceId).Advance(TimeSpan.FromDays(days)), attempts: 1);
                    break;
            }
        }
    }

    private IEnumerable<Task> Ticks() =>
    [
        Grains.GetGrain<IAppPaymentsGrain>(PaidAppId).RunDue(),
        Grains.GetGrain<IPaymentMethodsGrain>(PaidAppId).RunDue(),
        Grains.GetGrain<IAutoReloadGrain>(PaidAppId).RunDue(),
        Grains.GetGrain<ISubscriptionGrain>(SubscriptionKeys.For(PaidAppId, PlanKind.Usage)).RunDue(),
        Grains.GetGrain<IFreeCreditPoolGrain>(WorkspaceId).RunDue(),
    ];

    /// <summary>Every due-date grain of the workspace woken once, as its reminder would (the settling phase uses it).</summary>
    public Task TickAllAsync() => Task.WhenAll(Ticks());

    private static async Task<string> MethodOf(IPaymentMethodsGrain vault, PaymentMethodKind kind) =>
        (await vault.GetPaymentMethods()).First(m => m.Kind == kind && m.PayPalEmail != "declined@sandbox.paypal.test").Id;

    /// <summary>One owner request, retried with the same ids on a transient failure; a refusal is an answer, not a failure.</summary>
    private async Task Owner<T>(string what, Func<Task<T>> action, bool retryAgain = false, int attempts = 6)
    {
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            try
            {
                // Bounded as the adapters' calls are: a request that never ends fails its attempt instead of the run.
                var result = await action().WaitAsync(TimeSpan.FromSeconds(35), cancellationToken);
                _ownerLog.Add($"{what}: {result}");
                if (retryAgain)
                {
                    retryAgain = false;
                    continue; // the same request sent again, as a client that never saw the answer would
                }

                return;
            }
            catch (BillingException e)
            {
                _ownerLog.Add($"{what}: refused {e.Code}");
                return;
            }
            catch (Exception e) when (IsTransient(e, cancellationToken))
            {
                _ownerLog.Add($"{what}: attempt {attempt} failed ({e.GetType().Name})");
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken);
            }
        }
    }

    private async Task RestartAsync()
    {
        if (scenario.Restart is not { } restart)
            return;
        await _restartDue.Task;
        await cluster.RestartSiloAsync(restart.Silo % cluster.SiloCount, restart.Graceful, cancellationToken);
    }

    /// <summary>
    /// Each actor's own generator, derived from the seed by arithmetic: HashCode.Combine would differ from process to
    /// process, and a replay must make the same choices.
    /// </summary>
    private int ActorSeed(int actor) => unchecked((scenario.Seed * 1_000_003) + actor);

    private bool AllDelivered() => _answers.Count + _unanswered.Count >= _totalMessages;

    /// <summary>
    /// What a caller may retry: the cluster or its storage failing, not the product's answer (a <see cref="BillingException"/>)
    /// and not the test being cancelled. Orleans reports a message that expired while its grain was being placed (a silo
    /// going down) as an <see cref="OperationCanceledException"/>: that one is the cluster's, and retried.
    /// </summary>
    public static bool IsTransient(Exception e, CancellationToken testCancellation) =>
        e is not BillingException && !(e is OperationCanceledException && testCancellation.IsCancellationRequested);
}
