using Billing.Silo.Hosting;
using Billing.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Billing.Tests.Telemetry;

/// <summary>
/// The silo's real web host (its Program: Orleans, dashboard, health endpoints, service defaults) on the test run's
/// Azurite, with its own cluster id and ports, exporting OpenTelemetry over OTLP/HTTP to an <see cref="OtlpReceiver"/>.
/// </summary>
public sealed class SiloHostFixture(AzuriteFixture azurite) : IAsyncLifetime
{
    public OtlpReceiver Otlp { get; private set; } = null!;

    public WebApplicationFactory<SiloHealthCheck> Silo { get; private set; } = null!;

    public IClusterClient Client => Silo.Services.GetRequiredService<IClusterClient>();

    public async ValueTask InitializeAsync()
    {
        Otlp = await OtlpReceiver.StartAsync();
        var id = Guid.NewGuid().ToString("N")[..12];
        Silo = new WebApplicationFactory<SiloHealthCheck>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Testing");
            web.UseSetting("Storage:ConnectionString", azurite.ConnectionString);
            web.UseSetting("Orleans:ClusterId", "otlp-" + id);
            web.UseSetting("Orleans:ServiceId", "svc-otlp-" + id);
            web.UseSetting("Orleans:SiloPort", FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture));
            web.UseSetting("Orleans:GatewayPort", FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture));
            web.UseSetting("Notifications:PickupDirectory", Path.Combine(Path.GetTempPath(), "billing-test-mail", id));
            web.UseSetting("OTEL_EXPORTER_OTLP_ENDPOINT", Otlp.Endpoint);
            web.UseSetting("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
            web.UseSetting("OTEL_METRIC_EXPORT_INTERVAL", "500");
        });
        _ = Silo.Server; // start the host (and the silo in it) now
    }

    public async ValueTask DisposeAsync()
    {
        await Silo.DisposeAsync();
        await Otlp.DisposeAsync();
    }
}
