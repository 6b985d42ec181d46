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
/// metering path (docs/benchmarks.md, "Telemetry"), metrics and logs cost the silo about 6% of its decision throughput
/// and tracing a further 15-20% whether one trace in ten or every trace is kept, so traces are what an operator turns
/// on for an investigation: <c>OTEL_TRACES_SAMPLER=parentbased_traceidratio</c> with <c>OTEL_TRACES_SAMPLER_ARG</c>.
/// </remarks>
public static class TraceSampling
{
    public const string SamplerSetting = "OTEL_TRACES_SAMPLER";
    public const string ArgumentSetting = "OTEL_TRACES_SAMPLER_ARG";

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
