using Billing.Hosting;
using Microsoft.Extensions.Configuration;

namespace Billing.Tests.Telemetry;

/// <summary>The standard OTEL_*_EXPORTER settings: which signals a process collects once a destination is configured.</summary>
public sealed class TelemetrySignalsTests
{
    private static TelemetrySignals From(string? logs, string? metrics, string? traces) =>
        TelemetrySignals.From(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [TelemetrySignals.LogsSetting] = logs,
            [TelemetrySignals.MetricsSetting] = metrics,
            [TelemetrySignals.TracesSetting] = traces,
        }).Build());

    [Theory]
    [InlineData(null, null, null, true, true, true)]
    [InlineData("otlp", " OTLP ", "", true, true, true)]
    [InlineData("none", null, null, false, true, true)]
    [InlineData(null, "None", null, true, false, true)]
    [InlineData("otlp", "otlp", "none", true, true, false)]
    public void None_leaves_a_signal_out_and_otlp_or_nothing_keeps_it(string? logs, string? metrics, string? traces, bool keepsLogs, bool keepsMetrics, bool keepsTraces) =>
        Assert.Equal(new TelemetrySignals(keepsLogs, keepsMetrics, keepsTraces), From(logs, metrics, traces));

    [Theory]
    [InlineData("zipkin", null, null, TelemetrySignals.LogsSetting)]
    [InlineData(null, "console", null, TelemetrySignals.MetricsSetting)]
    [InlineData(null, null, "jaeger", TelemetrySignals.TracesSetting)]
    public void An_exporter_the_product_does_not_ship_stops_the_start_up_naming_the_setting(string? logs, string? metrics, string? traces, string setting)
    {
        var refusal = Assert.Throws<InvalidOperationException>(() => From(logs, metrics, traces));

        Assert.StartsWith(setting + " ", refusal.Message, StringComparison.Ordinal);
    }
}
