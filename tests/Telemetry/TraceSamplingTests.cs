using Billing.Hosting;
using Microsoft.Extensions.Configuration;
using OpenTelemetry.Trace;

namespace Billing.Tests.Telemetry;

/// <summary>The standard OTEL_TRACES_SAMPLER settings, and the default a busy silo needs: traces only when asked for.</summary>
public sealed class TraceSamplingTests
{
    private static Sampler From(string? sampler, string? argument = null) =>
        TraceSampling.From(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [TraceSampling.SamplerSetting] = sampler,
            [TraceSampling.ArgumentSetting] = argument,
        }).Build());

    [Fact]
    public void With_no_setting_only_traces_that_arrive_sampled_are_followed_and_none_starts_here() =>
        Assert.Equal("ParentBased{AlwaysOffSampler}", From(null).Description);

    [Theory]
    [InlineData("always_on", null, "AlwaysOnSampler")]
    [InlineData("always_off", null, "AlwaysOffSampler")]
    [InlineData("traceidratio", "0.25", "TraceIdRatioBasedSampler{0.250000}")]
    [InlineData("parentbased_always_on", null, "ParentBased{AlwaysOnSampler}")]
    [InlineData("parentbased_traceidratio", null, "ParentBased{TraceIdRatioBasedSampler{1.000000}}")]
    [InlineData(" ParentBased_TraceIdRatio ", "0.01", "ParentBased{TraceIdRatioBasedSampler{0.010000}}")]
    public void The_standard_sampler_settings_choose_the_standard_samplers(string sampler, string? argument, string expected) =>
        Assert.Equal(expected, From(sampler, argument).Description);

    [Theory]
    [InlineData(false, null, null, false)]
    [InlineData(false, null, "false", false)]
    [InlineData(false, "parentbased_traceidratio", null, true)]
    [InlineData(false, null, "true", true)]
    [InlineData(true, null, null, true)]
    public void Tracing_is_set_up_only_where_a_trace_can_start_or_arrive(bool callersSendTraces, string? sampler, string? orleansTracing, bool expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [TraceSampling.SamplerSetting] = sampler,
            [TraceSampling.OrleansDistributedTracingSetting] = orleansTracing,
        }).Build();

        Assert.Equal(expected, TraceSampling.Enabled(configuration, callersSendTraces));
    }

    [Theory]
    [InlineData("sometimes", null, TraceSampling.SamplerSetting)]
    [InlineData("traceidratio", "1.5", TraceSampling.ArgumentSetting)]
    [InlineData("traceidratio", "ten percent", TraceSampling.ArgumentSetting)]
    [InlineData("parentbased_traceidratio", "-0.1", TraceSampling.ArgumentSetting)]
    public void A_setting_that_names_no_sampler_or_no_ratio_stops_the_start_up_naming_it(string? sampler, string? argument, string setting)
    {
        var refusal = Assert.Throws<InvalidOperationException>(() => From(sampler, argument));

        Assert.StartsWith(setting + " ", refusal.Message, StringComparison.Ordinal);
    }
}
