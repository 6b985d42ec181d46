using System.Net;
using Billing.Apps;
using Billing.Notifications;
using Billing.Payments;
using Billing.Workspaces;

namespace Billing.Tests.Telemetry;

/// <summary>The silo as deployed: its health endpoints and its metrics reaching an OTLP collector.</summary>
public sealed class SiloTelemetryTests(SiloHostFixture fx) : IClassFixture<SiloHostFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_silo_is_live_and_ready_once_it_is_active_in_the_cluster_and_storage_answers()
    {
        var http = fx.Silo.CreateClient();

        var live = await http.GetAsync("/health/live", Ct);
        var ready = await http.GetAsync("/health/ready", Ct);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task With_an_OTLP_endpoint_set_the_billing_metrics_of_a_payment_reach_the_collector()
    {
        var workspaceId = "ws_" + Guid.NewGuid().ToString("N");
        var appId = "app_" + Guid.NewGuid().ToString("N");
        await fx.Client.GetGrain<IWorkspaceGrain>(workspaceId).Create(new CreateWorkspace("Acme", "owner-otlp"));
        await fx.Client.GetGrain<IAppGrain>(appId).Create(new CreateApp(workspaceId, "Support bot", Product.AutomationAi, "owner-otlp", null));
        var payments = fx.Client.GetGrain<IAppPaymentsGrain>(appId);
        var method = await fx.Client.GetGrain<IPaymentMethodsGrain>(appId).AddPaymentMethod(new AddPaymentMethod(PaymentMethodKind.PayPal, null, "buyer@sandbox.paypal.test", "owner-otlp"));

        var paid = await payments.AddFunds(new AddFunds("pay_" + Guid.NewGuid().ToString("N"), 100m, PaymentMethodKind.PayPal, method.Id, "owner-otlp"));

        Assert.Equal(PaymentStatus.Succeeded, paid.Status);
        // The exporter posts every 500 ms; the payment's counter and the wallet's ledger commit are in a payload soon.
        await fx.Otlp.MetricArrived("billing.payments").WaitAsync(TimeSpan.FromSeconds(30), Ct);
        await fx.Otlp.MetricArrived("billing.group_commit.duration").WaitAsync(TimeSpan.FromSeconds(30), Ct);
        var names = fx.Otlp.MetricNamesStartingWith("billing.");
        Assert.Contains("billing.payments", names);
        Assert.Contains("billing.group_commit.batch_size", names);
        // Orleans' own meter travels the same way.
        Assert.NotEmpty(fx.Otlp.MetricNamesStartingWith("orleans-"));
    }
}
