using System.Diagnostics.Metrics;
using Billing.Notifications;
using Billing.Payments;
using Billing.Telemetry;
using Billing.Tests.Infrastructure;
using Billing.Tests.Notifications;
using Billing.Tests.Payments;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Orleans.TestingHost;

namespace Billing.Tests.Telemetry;

internal static class SiloMetrics
{
    /// <summary>Reads one instrument of the <c>Billing</c> meter of the cluster's first silo from now on.</summary>
    public static MetricCollector<T> Collect<T>(TestCluster cluster, string instrument) where T : struct =>
        new(((InProcessSiloHandle)cluster.Silos[0]).ServiceProvider.GetRequiredService<IMeterFactory>(), BillingMetrics.MeterName, instrument);

    public static IEnumerable<CollectedMeasurement<T>> With<T>(this MetricCollector<T> collector, string tag, string value) where T : struct =>
        collector.GetMeasurementSnapshot().Where(m => m.Tags.TryGetValue(tag, out var v) && Equals(v, value));
}

/// <summary>Payments record their outcome in <c>billing.payments</c> and an operator finds the failure in the logs (M1, A3).</summary>
public sealed class PaymentMetricsTests(PaymentsFixture fx) : IClassFixture<PaymentsFixture>
{
    [Fact]
    public async Task A_declined_card_payment_counts_as_failed_and_is_logged_with_its_app_and_payment_M1()
    {
        using var payments = SiloMetrics.Collect<long>(fx.Cluster, "billing.payments");
        var (_, appId, _) = await fx.NewAppAsync();
        var card = await fx.AddCardAsync(appId, "4000 0000 0000 0002");

        var payment = await fx.BuyAsync(appId, card, 100m);

        Assert.Equal(PaymentStatus.Failed, payment.Status);
        var failed = Assert.Single(payments.With("outcome", "failed"));
        Assert.Equal((1L, "Card"), (failed.Value, failed.Tags["method"]));
        Assert.Empty(payments.With("outcome", "succeeded"));
        Assert.Contains(fx.Logs.Lines, l => l.Contains($"AppPaymentsGrain {appId}: payment {payment.Id}", StringComparison.Ordinal) && l.Contains("Declined", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_paid_purchase_counts_as_succeeded_M1()
    {
        using var payments = SiloMetrics.Collect<long>(fx.Cluster, "billing.payments");
        using var commits = SiloMetrics.Collect<int>(fx.Cluster, "billing.group_commit.batch_size");
        var (_, appId, _) = await fx.NewAppAsync();
        var paypal = await fx.AddPayPalAsync(appId);

        var payment = await fx.BuyAsync(appId, paypal, 100m, PaymentMethodKind.PayPal);

        Assert.Equal(PaymentStatus.Succeeded, payment.Status);
        var succeeded = Assert.Single(payments.With("outcome", "succeeded"));
        Assert.Equal("PayPal", succeeded.Tags["method"]);
        // The purchase's credit is one posting committed through the silo journal, then filed into the app's ledger book.
        Assert.Contains(commits.With("log", "journal"), m => m.Value >= 1);
        await fx.PaidLedgerAsync(appId);
        Assert.Contains(commits.With("log", "ledger-filing"), m => m.Value >= 1);
    }
}

/// <summary>The outbox counts what it sends and dead-letters, and its backlog in <c>billing.emails.pending</c> (E3).</summary>
public sealed class OutboxMetricsTests(NotificationFixture fx) : IClassFixture<NotificationFixture>
{
    [Fact]
    public async Task A_dead_lettered_email_is_counted_and_leaves_the_pending_backlog_E3()
    {
        var world = await fx.NewWorld();
        await fx.DeliverAll(); // the workspace's own emails go first: the counts below are this event's
        using var emails = SiloMetrics.Collect<long>(fx.Cluster, "billing.emails");
        using var pending = SiloMetrics.Collect<long>(fx.Cluster, "billing.emails.pending");
        var ev = new CreditsPurchased
        {
            EventId = "purchase-nobody:" + world.Tag, WorkspaceId = world.WorkspaceId, OccurredAt = fx.Clock.GetUtcNow(), AppId = world.AppId, AppName = SampleWorld.AppName,
            IsAutoReload = false, PurchasedByUserId = "never-seen-" + world.Tag, PreviousBalanceUsd = 0m, OrderAmountUsd = 100m, CurrentBalanceUsd = 100m,
            AutoReload = new(false, null, null), PaymentMethod = new(PaymentMethodKind.Card, "Visa ending 1111"),
        };

        await fx.Publish(ev);
        await fx.DeliverAll();

        Assert.Equal(OutboxStatus.Dead, Assert.Single(await fx.OutboxOf(ev.EventId)).Status);
        Assert.Equal(1, emails.With("outcome", "dead_lettered").Sum(m => m.Value));
        Assert.Empty(emails.With("outcome", "sent"));
        // Queued (+1) when the event became its message, out again (-1) when it died.
        Assert.Contains(pending.GetMeasurementSnapshot(), m => m.Value == 1);
        Assert.Equal(0, pending.GetMeasurementSnapshot().Sum(m => m.Value));

        // An operator's retry puts it back in the backlog; once the user is known it is sent.
        await fx.RecordUser(ev.PurchasedByUserId!, NotificationFixture.EmailOf(ev.PurchasedByUserId!));
        await fx.Client.GetGrain<IOutboxGrain>(OutboxShards.OfEvent(ev.EventId)).Retry(Assert.Single(await fx.OutboxOf(ev.EventId)).Id);
        await fx.DeliverAll();
        Assert.Equal(1, emails.With("outcome", "sent").Sum(m => m.Value));
        Assert.Equal(0, pending.GetMeasurementSnapshot().Sum(m => m.Value));
    }
}
