using System.Diagnostics;
using Azure.Data.Tables;
using Billing.Invoices;
using Billing.Ledgers;
using Billing.Metering;
using Billing.Notifications;
using Billing.Payments;
using Billing.Storage.Shared;
using Billing.Subscriptions;
using Billing.Tests.Infrastructure;
using Billing.Usage;
using Billing.Wallets;

namespace Billing.Tests.Simulation;

/// <summary>
/// What must hold after a run, read through the product's own reads (wallet and ledger grains, the usage export, the
/// payment, subscription and invoice grains, the outbox) plus the two witnesses outside the product: the sandbox
/// gateway's record of charges and the SMTP server's inbox. Records filed shortly after an answer (the metering journal)
/// are waited for with a bounded poll on the condition.
/// </summary>
public sealed class SimulationInvariants(SimulationCluster cluster, SimulationRun run, AzuriteFixture azurite, CancellationToken cancellationToken)
{
    private static readonly TimeSpan SettleBound = TimeSpan.FromSeconds(90);

    private IClusterClient Grains => cluster.Client;

    /// <summary>How long each check took to hold (the settling of journal, reloads and outbox shows here).</summary>
    public List<string> Timings { get; } = [];

    public async Task CheckAsync()
    {
        await SettleAsync();
        foreach (var app in new[] { run.PaidAppId, run.FreeAppId })
            await Eventually($"wallet of {app}", () => WalletProblems(app));
        await Eventually("free credits", FreeCreditProblems);
        await Eventually("decisions", DecisionProblems);
        await Eventually("payments and reloads", () => PaymentProblems(run.PaidAppId));
        await Eventually("subscriptions", () => SubscriptionProblems(run.PaidAppId));
        await Eventually("emails", EmailProblems);
    }

    /// <summary>Finishes what the faults interrupted, as reminders would: no payment left charging, no reload in flight.</summary>
    private Task SettleAsync() => Eventually("settling", async () =>
    {
        await run.TickAllAsync();
        var payments = await Grains.GetGrain<IAppPaymentsGrain>(run.PaidAppId).GetPayments();
        var charging = payments.Where(p => p.Status == PaymentStatus.Charging).Select(p => p.Id).ToList();
        return charging.Count == 0 ? [] : [$"payments still charging: {string.Join(", ", charging)}"];
    });

    /// <summary>C6, C7: each balance equals the sum of its ledger, never negative at any line; no posting applied twice.</summary>
    private async Task<List<string>> WalletProblems(string appId)
    {
        var problems = new List<string>();
        var wallet = Grains.GetGrain<IAppWalletGrain>(appId);
        var balance = await wallet.GetBalance();
        foreach (var (account, reported) in new[] { (WalletAccounts.Paid, balance.PaidUsd), (WalletAccounts.Free, balance.FreeDrawnUsd) })
        {
            var entries = await LedgerOf(wallet, account);
            var sum = entries.Sum(e => e.AmountUsd);
            if (sum != reported)
                problems.Add($"{appId} {account}: balance {reported} but its ledger sums to {sum}");
            if (reported < 0m)
                problems.Add($"{appId} {account}: balance {reported} is negative");
            for (var i = 0; i < entries.Count; i++)
            {
                if (entries[i].Seq != i + 1)
                    problems.Add($"{appId} {account}: line {i + 1} has seq {entries[i].Seq}");
            }

            problems.AddRange(RunningBalanceProblems($"{appId} {account}", entries));

            foreach (var twice in entries.Where(e => e.IdempotencyKey is not null).GroupBy(e => (e.IdempotencyKey, e.Kind)).Where(g => g.Count() > 1))
                problems.Add($"{appId} {account}: {twice.Count()} {twice.Key.Kind} lines under idempotency key {twice.Key.IdempotencyKey}");
        }

        return problems;
    }

    /// <summary>
    /// C1, C5, C7: free credits are conserved between the workspace's pool and its apps. Every draw the pool made is booked
    /// once, for the same amount, by the app that drew it (a draw a crash interrupted included), no app booked a draw the
    /// pool did not make, and the pool's own ledger never runs below zero.
    /// </summary>
    private async Task<List<string>> FreeCreditProblems()
    {
        var problems = new List<string>();
        var pool = Grains.GetGrain<IFreeCreditPoolGrain>(run.WorkspaceId);
        var poolLines = await AllLines(after => pool.GetLedger(after, 500));
        problems.AddRange(RunningBalanceProblems($"pool of {run.WorkspaceId}", poolLines));

        foreach (var app in new[] { run.PaidAppId, run.FreeAppId })
        {
            var drawn = poolLines.Where(e => e.Kind == LedgerEntryKind.Lease && e.Reference == app)
                .GroupBy(e => e.IdempotencyKey ?? "").ToDictionary(g => g.Key, g => -g.Sum(e => e.AmountUsd));
            var booked = (await LedgerOf(Grains.GetGrain<IAppWalletGrain>(app), WalletAccounts.Free)).Where(e => e.Kind == LedgerEntryKind.Lease)
                .GroupBy(e => e.IdempotencyKey ?? "").ToDictionary(g => g.Key, g => g.Sum(e => e.AmountUsd));
            foreach (var (key, amount) in drawn.Where(d => booked.GetValueOrDefault(d.Key) != d.Value))
                problems.Add($"{app}: the pool drew {amount} under {key}, the wallet booked {booked.GetValueOrDefault(key)}");
            foreach (var key in booked.Keys.Except(drawn.Keys))
                problems.Add($"{app}: the wallet booked {booked[key]} under {key}, which the pool never drew");
        }

        return problems;
    }

    /// <summary>
    /// B4: every delivery of one message id got the same answer. B2, C7: every Allowed answer that opened a billing session
    /// has exactly its charge in the ledger; every Allowed message has exactly one usage record; no session is charged
    /// without a message that opened it.
    /// </summary>
    private async Task<List<string>> DecisionProblems()
    {
        var problems = new List<string>();
        foreach (var (id, answers) in run.Answers)
        {
            if (answers.Distinct().Count() > 1)
                problems.Add($"message {id} answered differently on redelivery: {string.Join(" / ", answers.Distinct())}");
        }

        foreach (var app in new[] { run.PaidAppId, run.FreeAppId })
        {
            var wallet = Grains.GetGrain<IAppWalletGrain>(app);
            var lines = (await LedgerOf(wallet, WalletAccounts.Paid)).Concat(await LedgerOf(wallet, WalletAccounts.Free)).ToList();
            var charges = lines.Where(e => e.Kind is LedgerEntryKind.Charge or LedgerEntryKind.Refund && e.IdempotencyKey is not null)
                .GroupBy(e => e.Kind == LedgerEntryKind.Refund ? e.Reference ?? e.IdempotencyKey! : e.IdempotencyKey!)
                .ToDictionary(g => g.Key, g => g.Sum(e => e.AmountUsd));
            var usage = new List<UsageRecord>();
            var today = DateOnly.FromDateTime(DateTime.UtcNow);
            await foreach (var record in Grains.ExportUsage(app, DateOnly.FromDateTime(run.StartedAt.UtcDateTime.AddHours(-1)), today, cancellationToken))
                usage.Add(record);
            var recorded = usage.GroupBy(r => r.MessageId).ToDictionary(g => g.Key, g => g.Count());
            foreach (var twice in recorded.Where(r => r.Value > 1))
                problems.Add($"{app}: message {twice.Key} has {twice.Value} usage records");

            var decisions = run.Answers.Where(a => a.Key.StartsWith(run.MessagePrefix(app), StringComparison.Ordinal))
                .Select(a => a.Value.First()).ToList();
            foreach (var d in decisions.Where(d => d.IsAllowed))
            {
                if (!recorded.ContainsKey(d.MessageId))
                    problems.Add($"{app}: message {d.MessageId} was Allowed but has no usage record");
                if (d.OpenedBillingSession && -charges.GetValueOrDefault(d.BillingSessionId!) != d.ChargedUsd)
                    problems.Add($"{app}: session {d.BillingSessionId} was answered with a charge of {d.ChargedUsd} but its ledger lines sum to {-charges.GetValueOrDefault(d.BillingSessionId!)}");
            }

            // A session charged in the ledger must have been opened by a recorded message (an unanswered one included).
            var opened = usage.Where(r => r.OpenedBillingSession).Select(r => r.BillingSessionId).ToHashSet();
            foreach (var (session, amount) in charges.Where(c => c.Value != 0m && !opened.Contains(c.Key)))
                problems.Add($"{app}: session {session} is charged {-amount} but no usage record opened it");
        }

        return problems;
    }

    /// <summary>
    /// M1, A2: every successful gateway charge of a purchase or reload is credited exactly once and invoiced exactly
    /// once; nothing is credited that the gateway did not charge; no more than one reload per crossing.
    /// </summary>
    private async Task<List<string>> PaymentProblems(string appId)
    {
        var problems = new List<string>();
        var payments = await Grains.GetGrain<IAppPaymentsGrain>(appId).GetPayments();
        var credits = (await LedgerOf(Grains.GetGrain<IAppWalletGrain>(appId), WalletAccounts.Paid))
            .Where(e => e.Kind is LedgerEntryKind.Purchase or LedgerEntryKind.Reload).ToList();
        var invoices = await Grains.GetGrain<IInvoiceQueryGrain>(0).List(run.WorkspaceId, appId);
        var charged = await GatewayChargesAsync(appId);

        foreach (var twice in invoices.GroupBy(i => i.Draft.SourceId).Where(g => g.Count() > 1))
            problems.Add($"{appId}: {twice.Count()} invoices for {twice.Key}");
        foreach (var p in payments)
        {
            var key = $"payment:{appId}:{p.Id}";
            var credited = credits.Where(c => c.IdempotencyKey == key).ToList();
            var gateway = charged.GetValueOrDefault(TableKeys.Bounded($"{appId}:{p.Id}"));
            if (p.Status == PaymentStatus.Succeeded)
            {
                if (credited.Count != 1 || credited[0].AmountUsd != p.AmountUsd)
                    problems.Add($"{appId}: payment {p.Id} ({p.Purpose}, {p.AmountUsd}) succeeded with {credited.Count} credits ({string.Join(", ", credited.Select(c => c.AmountUsd))})");
                if (p.Method != PaymentMethodKind.WireTransfer && gateway?.Amount != p.AmountUsd)
                    problems.Add($"{appId}: payment {p.Id} succeeded but the gateway charged {gateway?.Amount.ToString() ?? "nothing"}");
                if (invoices.Count(i => i.Draft.SourceId == key) != 1)
                    problems.Add($"{appId}: payment {p.Id} succeeded with {invoices.Count(i => i.Draft.SourceId == key)} invoices");
            }
            else
            {
                if (credited.Count > 0)
                    problems.Add($"{appId}: payment {p.Id} is {p.Status} yet credited {credited.Sum(c => c.AmountUsd)}");
                if (gateway is { Succeeded: true })
                    problems.Add($"{appId}: payment {p.Id} is {p.Status} ({p.FailureReason}) but the gateway charged {gateway.Amount}: money taken, not credited");
            }
        }

        var known = payments.Select(p => $"payment:{appId}:{p.Id}").ToHashSet();
        foreach (var stray in credits.Where(c => !known.Contains(c.IdempotencyKey ?? "")))
            problems.Add($"{appId}: credit {stray.Kind} {stray.AmountUsd} ({stray.IdempotencyKey}) belongs to no payment");
        var view = await Grains.GetGrain<IAutoReloadGrain>(appId).GetAutoReload();
        var reloads = payments.Count(p => p.Purpose == PaymentPurpose.AutoReload && p.Status == PaymentStatus.Succeeded);
        if (view.CompletedReloads != reloads)
            problems.Add($"{appId}: {view.CompletedReloads} reloads counted but {reloads} reload payments succeeded");
        return problems;
    }

    /// <summary>P3, P4: each subscription charge the gateway took is invoiced exactly once; no renewal is charged twice.</summary>
    private async Task<List<string>> SubscriptionProblems(string appId)
    {
        var problems = new List<string>();
        var invoices = (await Grains.GetGrain<IInvoiceQueryGrain>(0).List(run.WorkspaceId, appId))
            .Where(i => i.Draft.SourceId.StartsWith($"{appId}:usage:", StringComparison.Ordinal)).ToList();
        var subscription = await Grains.GetGrain<ISubscriptionGrain>(SubscriptionKeys.For(appId, PlanKind.Usage)).Get();
        var charged = await GatewayChargesAsync(appId);
        var bySource = invoices.ToDictionary(i => TableKeys.Bounded(i.Draft.SourceId), i => i.Draft.SourceId);
        foreach (var (rowKey, charge) in charged.Where(c => c.Value.Succeeded && c.Value.Description.Contains(" for app ", StringComparison.Ordinal)))
        {
            if (!bySource.ContainsKey(rowKey))
                problems.Add($"{appId}: the gateway charged {charge.Amount} ({charge.Description}, key {rowKey}) with no invoice");
        }

        // A renewal's key names its due date and attempt: two paid attempts of one due date is a double charge.
        foreach (var twice in invoices.Where(i => i.Draft.SourceId.Contains(":renewal:", StringComparison.Ordinal))
                     .GroupBy(i => i.Draft.SourceId.Split(":renewal:")[1].Split(':')[0]).Where(g => g.Count() > 1))
            problems.Add($"{appId}: renewal due {new DateTimeOffset(long.Parse(twice.Key, System.Globalization.CultureInfo.InvariantCulture), TimeSpan.Zero):u} invoiced {twice.Count()} times");
        var listed = subscription.InvoiceNumbers.ToHashSet();
        foreach (var missing in invoices.Where(i => !listed.Contains(i.Number)))
            problems.Add($"{appId}: subscription invoice {missing.Number} ({missing.Draft.SourceId}) is not on the subscription");
        if (subscription.InvoiceNumbers.Count != listed.Count)
            problems.Add($"{appId}: the subscription lists an invoice twice: {string.Join(", ", subscription.InvoiceNumbers)}");
        return problems;
    }

    /// <summary>
    /// E2, E3: every email of the workspace's events is sent exactly once, or is pending, dead or unconfirmed (a send cut
    /// short after the hand-over, held for an operator) with a reason, and none reached the server twice.
    /// </summary>
    private async Task<List<string>> EmailProblems()
    {
        var problems = new List<string>();
        var messages = new List<OutboxMessageView>();
        for (var shard = 0; shard < OutboxShards.Count; shard++)
        {
            var outbox = Grains.GetGrain<IOutboxGrain>(shard);
            await outbox.Deliver();
            foreach (var status in Enum.GetValues<OutboxStatus>())
                messages.AddRange((await outbox.List(status, OutboxShards.MaxListLimit)).Where(m => m.WorkspaceId == run.WorkspaceId));
        }

        var events = messages.Select(m => m.EventId).ToHashSet();
        var inbox = cluster.Smtp.Messages().Select(m => m.Message)
            .Where(m => events.Contains(m.Headers[OutboxMail.EventIdHeader] ?? ""))
            .GroupBy(m => m.MessageId ?? "").ToDictionary(g => g.Key, g => g.Count());
        foreach (var m in messages)
        {
            var received = inbox.GetValueOrDefault(m.MimeMessageId);
            switch (m.Status)
            {
                case OutboxStatus.Sent when received != 1:
                    problems.Add($"email {m.Template} of {m.EventId} is Sent but the SMTP server received it {received} times");
                    break;
                case OutboxStatus.Pending when m.LastError is null:
                    problems.Add($"email {m.Template} of {m.EventId} is pending with no reason (attempts {m.Attempts})");
                    break;
                case OutboxStatus.Dead or OutboxStatus.Unconfirmed when m.LastError is null:
                    problems.Add($"email {m.Template} of {m.EventId} is {m.Status} with no reason");
                    break;
                case not OutboxStatus.Sent when received > 1:
                    problems.Add($"email {m.Template} of {m.EventId} is {m.Status} but the SMTP server received it {received} times");
                    break;
            }
        }

        foreach (var orphan in inbox.Keys.Where(id => messages.All(o => o.MimeMessageId != id)))
            problems.Add($"the SMTP server received {orphan}, which no outbox message of the workspace sent");

        // Each completed purchase or reload raised its email event (A2, E1): an event dropped on the way is lost mail.
        foreach (var p in (await Grains.GetGrain<IAppPaymentsGrain>(run.PaidAppId).GetPayments()).Where(p => p.Status == PaymentStatus.Succeeded))
        {
            if (!events.Contains($"purchase:{run.PaidAppId}:{p.Id}"))
                problems.Add($"payment {p.Id} succeeded but its email event purchase:{run.PaidAppId}:{p.Id} is not in the outbox");
        }

        return problems;
    }

    private sealed record GatewayCharge(bool Succeeded, decimal Amount, string Description);

    /// <summary>The sandbox gateway's own record of what it charged for <paramref name="appId"/>, by idempotency row key.</summary>
    private async Task<Dictionary<string, GatewayCharge>> GatewayChargesAsync(string appId)
    {
        var table = azurite.ServiceClient.GetTableClient("SandboxCharges");
        var charges = new Dictionary<string, GatewayCharge>();
        await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {"charges"}"), cancellationToken: cancellationToken))
        {
            var description = row.GetString("Description") ?? "";
            if (!description.EndsWith($"app {appId}", StringComparison.Ordinal))
                continue;
            charges[row.RowKey] = new GatewayCharge(
                row.GetString("Outcome") == "Succeeded",
                decimal.Parse(row.GetString("AmountUsd") ?? "0", System.Globalization.CultureInfo.InvariantCulture),
                description);
        }

        return charges;
    }

    private static Task<List<LedgerEntry>> LedgerOf(IAppWalletGrain wallet, string account) =>
        AllLines(after => wallet.GetLedger(account, after, 500));

    /// <summary>Every line of a ledger, page after page.</summary>
    private static async Task<List<LedgerEntry>> AllLines(Func<long, Task<LedgerPage>> page)
    {
        var entries = new List<LedgerEntry>();
        long after = 0;
        while (true)
        {
            var next = await page(after);
            entries.AddRange(next.Entries);
            if (next.NextAfterSeq is not { } nextAfter)
                return entries;
            after = nextAfter;
        }
    }

    /// <summary>C6, C7: each line's balance is the running sum of the ledger's amounts through it, and never negative.</summary>
    private static IEnumerable<string> RunningBalanceProblems(string ledger, IEnumerable<LedgerEntry> lines)
    {
        var running = 0m;
        foreach (var e in lines)
        {
            running += e.AmountUsd;
            if (e.BalanceAfterUsd != running || e.BalanceAfterUsd < 0m)
                yield return $"{ledger}: line {e.Seq} ({e.Kind} {e.AmountUsd}) says balance {e.BalanceAfterUsd}, running sum {running}";
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>Polls <paramref name="problems"/> until it finds none, within a bound; then fails with the last ones found.</summary>
    private async Task Eventually(string what, Func<Task<List<string>>> problems)
    {
        var clock = Stopwatch.StartNew();
        List<string> last = [];
        while (true)
        {
            try
            {
                // Bounded too: a call that never answers (a grain turn waiting on something that is gone; Orleans keeps
                // extending the caller's timeout while the turn runs) must fail the seed, not hang the run.
                last = await problems().WaitAsync(Max(SettleBound - clock.Elapsed, TimeSpan.FromSeconds(5)), cancellationToken);
            }
            catch (Exception e) when (SimulationRun.IsTransient(e, cancellationToken) && clock.Elapsed < SettleBound)
            {
                last = [$"{what}: {e.GetType().Name}: {e.Message}"];
            }

            if (last.Count == 0)
            {
                Timings.Add($"{what} {clock.Elapsed.TotalSeconds:0.0}s");
                return;
            }

            if (clock.Elapsed > SettleBound)
                throw new SimulationFailedException($"{what}: {string.Join(Environment.NewLine + "  ", last)}");
            await Task.Delay(250, cancellationToken); // re-reads the condition; the bound above ends the wait
        }
    }
}

/// <summary>An invariant that did not hold after a run.</summary>
public sealed class SimulationFailedException(string message) : Exception(message);
