using System.Globalization;
using Microsoft.Extensions.Configuration;
using OpenTelemetry.Trace;

namespace Billing.Hosting;

/// <summary>
/// Which traces a billing process records: the standard <c>OTEL_TRACES_SAMPLER</c> and <c>OTEL_TRACES_SAMPLER_ARG</c>
/// settings, read here so that they mean the same in every process whatever the SDK version, with a default that
/// suits a system answering thousands of calls a second.
/// </summary>
/// <remarks>
/// The default is <c>parentbased_always_off</c>: a trace that arrives sampled (a caller, a gateway or an API request
/// that carries a sampled <c>traceparent</c>) is followed through, and nothing starts a trace of its own. Measured on the
/// metering path (docs/benchmarks.md, "Telemetry"), metrics and logs cost the silo about 3% of its CPU per decision and
/// tracing 15-20% of the decision's throughput whether one trace in ten or every trace is kept, so traces are what an
/// operator turns on for an investigation: <c>OTEL_TRACES_SAMPLER=parentbased_traceidratio</c> with <c>OTEL_TRACES_SAMPLER_ARG</c>.
/// </remarks>
public static class TraceSampling
{
    public const string SamplerSetting = "OTEL_TRACES_SAMPLER";
    public const string ArgumentSetting = "OTEL_TRACES_SAMPLER_ARG";

    /// <summary>Orleans' activity propagation: grain calls carry their caller's trace (and each becomes a span).</summary>
    public const string OrleansDistributedTracingSetting = "Orleans:EnableDistributedTracing";

    /// <summary>
    /// Whether a process sets tracing up at all. A trace is recorded only when a sampler starts one (an operator named
    /// it) or a caller sends one sampled: HTTP requests can carry one (<paramref name="callersSendTraces"/>: the API's
    /// callers), grain calls only while Orleans propagates activities. With neither, the tracer would still create an
    /// unrecorded activity for every storage request and grain activation, only to propagate a trace nobody samples.
    /// </summary>
    public static bool Enabled(IConfiguration configuration, bool callersSendTraces)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return callersSendTraces
            || !string.IsNullOrWhiteSpace(configuration[SamplerSetting])
            || configuration.GetValue<bool>(OrleansDistributedTracingSetting);
    }

    /// <summary>The sampler the settings name; throws, naming the setting, when they name none or a bad ratio.</summary>
    public static Sampler From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var name = configuration[SamplerSetting];
        var argument = configuration[ArgumentSetting];
        return string.IsNullOrWhiteSpace(name)
            ? new ParentBasedSampler(new AlwaysOffSampler())
            : name.Trim().ToLowerInvariant() switch
            {
                "always_on" => new AlwaysOnSampler(),
                "always_off" => new AlwaysOffSampler(),
                "traceidratio" => new TraceIdRatioBasedSampler(Ratio(argument, 1.0)),
                "parentbased_always_on" => new ParentBasedSampler(new AlwaysOnSampler()),
                "parentbased_always_off" => new ParentBasedSampler(new AlwaysOffSampler()),
                "parentbased_traceidratio" => new ParentBasedSampler(new TraceIdRatioBasedSampler(Ratio(argument, 1.0))),
                _ => throw new InvalidOperationException(
                    $"{SamplerSetting} '{name}' is not a sampler: use always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio."),
            };
    }

    /// <summary>The OpenTelemetry specification's default for a ratio sampler with no argument is 1.0.</summary>
    private static double Ratio(string? argument, double fallback)
    {
        if (string.IsNullOrWhiteSpace(argument))
            return fallback;
        return double.TryParse(argument, NumberStyles.Float, CultureInfo.InvariantCulture, out var ratio) && ratio is >= 0 and <= 1
            ? ratio
            : throw new InvalidOperationException($"{ArgumentSetting} '{argument}' is not a ratio between 0 and 1.");
    }
}
