using Azure.Monitor.OpenTelemetry.AspNetCore;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Billing.Hosting;

/// <summary>
/// How every billing process (the silo, the API) is observed: OpenTelemetry metrics, traces and logs, exported only
/// where a destination is configured, and the liveness and readiness endpoints. One place, so that both processes
/// report the same way (the pattern of .NET Aspire's ServiceDefaults).
/// </summary>
public static class BillingServiceDefaults
{
    /// <summary>The product's meter, <c>Billing.Telemetry.BillingMetrics.MeterName</c> (that assembly is the silo's, not the API's).</summary>
    public const string BillingMeterName = "Billing";

    /// <summary>Orleans 10's meter (<c>Orleans.Core</c>'s instruments: grain calls, activations, messaging, membership).</summary>
    public const string OrleansMeterName = "Microsoft.Orleans";

    /// <summary>
    /// Orleans 10's activity sources (<c>Orleans.Diagnostics.ActivitySources</c>). Grain calls are traced only when
    /// <c>Orleans:EnableDistributedTracing</c> is true; lifecycle and storage spans come regardless.
    /// </summary>
    public static readonly string[] OrleansActivitySources =
    [
        "Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application", "Microsoft.Orleans.Lifecycle", "Microsoft.Orleans.Storage",
    ];

    /// <summary>Sends logs, metrics and traces over OTLP (gRPC, or HTTP/protobuf with <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>).</summary>
    public const string OtlpEndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Sends logs, metrics and traces to Application Insights (Azure Monitor).</summary>
    public const string AzureMonitorSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";

    /// <summary>Health checks run by <see cref="ReadyPath"/>; <see cref="LivePath"/> runs only those tagged <see cref="LiveTag"/>.</summary>
    public const string ReadyTag = "ready";

    public const string LiveTag = "live";

    /// <summary>
    /// OpenTelemetry (when <see cref="OtlpEndpointSetting"/> or <see cref="AzureMonitorSetting"/> is set) and the health
    /// checks every billing process has: itself (live) and the storage account (ready). The storage check takes the
    /// process's <see cref="Azure.Data.Tables.TableServiceClient"/> from DI. <paramref name="callersSendTraces"/>: the
    /// process serves requests that may arrive in a sampled trace (the API), so it traces even with no sampler named.
    /// </summary>
    public static TBuilder AddBillingServiceDefaults<TBuilder>(this TBuilder builder, bool callersSendTraces) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddMetrics();
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), tags: [LiveTag])
            .AddCheck<StorageHealthCheck>("storage", tags: [ReadyTag]);
        builder.AddBillingOpenTelemetry(callersSendTraces);
        return builder;
    }

    /// <summary>
    /// Nothing is exported, and OpenTelemetry is not even set up, unless a destination is configured: then the meters
    /// cost only their recording (a few nanoseconds each), and the hot path pays no aggregation for a reader nobody has.
    /// </summary>
    private static void AddBillingOpenTelemetry(this IHostApplicationBuilder builder, bool callersSendTraces)
    {
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointSetting]);
        var azureMonitor = !string.IsNullOrWhiteSpace(builder.Configuration[AzureMonitorSetting]);
        if (!otlp && !azureMonitor)
            return;

        // Read before anything is registered: a setting that names no sampler or no exporter stops the start-up.
        var sampler = TraceSampling.From(builder.Configuration);
        var signals = TelemetrySignals.From(builder.Configuration);

        if (signals.Logs)
        {
            builder.Logging.AddOpenTelemetry(logs =>
            {
                logs.IncludeFormattedMessage = true;
                logs.IncludeScopes = true;
            });
        }
        else
        {
            // The exporters' set-up registers the logger provider whatever is asked here: silenced instead.
            builder.Logging.AddFilter<OpenTelemetry.Logs.OpenTelemetryLoggerProvider>(null, LogLevel.None);
        }

        var telemetry = builder.Services.AddOpenTelemetry();
        // OTEL_SERVICE_NAME, when set, names the process; otherwise its application name (Billing.Silo, Billing.Api).
        if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_SERVICE_NAME"]))
            telemetry.ConfigureResource(resource => resource.AddService(builder.Environment.ApplicationName));
        if (signals.Metrics)
        {
            telemetry.WithMetrics(metrics => metrics
                .AddMeter(BillingMeterName, OrleansMeterName)
                // Orleans records the header and body size of every message in histograms: per-call work on the hot
                // path for a figure only an Orleans transport investigation needs. Call counts and latencies stay.
                .AddView(instrument => IsPerMessageSize(instrument) ? MetricStreamConfiguration.Drop : null)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation());
        }

        if (signals.Traces && TraceSampling.Enabled(builder.Configuration, callersSendTraces))
        {
            telemetry.WithTracing(tracing => tracing
                .SetSampler(sampler)
                .AddSource(OrleansActivitySources)
                // Probes run every few seconds and say nothing about a request: they stay out of the traces.
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/health"))
                .AddHttpClientInstrumentation());
        }

        if (otlp)
            telemetry.UseOtlpExporter();
        if (azureMonitor)
            telemetry.UseAzureMonitor();
    }

    private static bool IsPerMessageSize(System.Diagnostics.Metrics.Instrument instrument) =>
        instrument.Meter.Name == OrleansMeterName
        && instrument.Name.StartsWith("orleans-messaging-", StringComparison.Ordinal)
        && instrument.Name.EndsWith("-size", StringComparison.Ordinal);

    /// <summary>
    /// <c>/health/live</c>: the process runs (no dependency is checked, so a storage outage never restarts it);
    /// <c>/health/ready</c>: every check tagged <see cref="ReadyTag"/> passes, so it may take traffic.
    /// </summary>
    public static TApp MapBillingHealthEndpoints<TApp>(this TApp app) where TApp : IEndpointRouteBuilder
    {
        app.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = check => check.Tags.Contains(LiveTag) });
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag) });
        return app;
    }
}
