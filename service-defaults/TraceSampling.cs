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
/// The default is <c>parentbased_traceidratio</c> at <see cref="DefaultRatio"/>: a trace that started sampled upstream
/// stays whole, and of the traces that start here (an API request, a grain activation, a storage commit) one in ten is
/// kept. Recording every one costs the silo about a tenth of its decision throughput (docs/benchmarks.md, "Telemetry"):
/// each new end user's session activation alone makes three spans. An investigation sets
/// <c>OTEL_TRACES_SAMPLER=parentbased_always_on</c>.
/// </remarks>
public static class TraceSampling
{
    public const string SamplerSetting = "OTEL_TRACES_SAMPLER";
    public const string ArgumentSetting = "OTEL_TRACES_SAMPLER_ARG";
    public const double DefaultRatio = 0.1;

    /// <summary>The sampler the settings name; throws, naming the setting, when they name none or a bad ratio.</summary>
    public static Sampler From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var name = configuration[SamplerSetting];
        var argument = configuration[ArgumentSetting];
        return string.IsNullOrWhiteSpace(name)
            ? new ParentBasedSampler(new TraceIdRatioBasedSampler(Ratio(argument, DefaultRatio)))
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
