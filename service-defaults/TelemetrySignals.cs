using Microsoft.Extensions.Configuration;

namespace Billing.Hosting;

/// <summary>
/// Which signals a process collects and exports once a destination is configured, by the standard
/// <c>OTEL_LOGS_EXPORTER</c>, <c>OTEL_METRICS_EXPORTER</c> and <c>OTEL_TRACES_EXPORTER</c> settings: <c>none</c> leaves
/// a signal out altogether (nothing recorded for it), unset or <c>otlp</c> keeps it. Read here so that every process
/// means the same by them; a value naming an exporter the product does not ship stops the start-up, naming the setting.
/// </summary>
public sealed record TelemetrySignals(bool Logs, bool Metrics, bool Traces)
{
    public const string LogsSetting = "OTEL_LOGS_EXPORTER";
    public const string MetricsSetting = "OTEL_METRICS_EXPORTER";
    public const string TracesSetting = "OTEL_TRACES_EXPORTER";

    public static TelemetrySignals From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return new(Kept(configuration, LogsSetting), Kept(configuration, MetricsSetting), Kept(configuration, TracesSetting));
    }

    private static bool Kept(IConfiguration configuration, string setting) =>
        configuration[setting]?.Trim().ToLowerInvariant() switch
        {
            null or "" or "otlp" => true,
            "none" => false,
            var other => throw new InvalidOperationException(
                $"{setting} '{other}' is not an exporter here: use otlp (the default, to the configured destination) or none (the signal is not collected)."),
        };
}
