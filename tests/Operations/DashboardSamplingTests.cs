using Billing.Silo.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Dashboard;

namespace Billing.Tests.Operations;

/// <summary>
/// The silo's host as its Program builds it (not started): the dashboard samples the silo's counters every 10 s, not
/// Orleans' every second, because some of those gauges walk every activation (docs/benchmarks.md), and operators can
/// set the interval.
/// </summary>
public sealed class DashboardSamplingTests
{
    [Fact]
    public async Task The_dashboard_samples_the_silo_counters_every_ten_seconds_unless_set()
    {
        await using var silo = BuildSilo([]);

        Assert.Equal(10_000, silo.Services.GetRequiredService<IOptions<DashboardOptions>>().Value.CounterUpdateIntervalMs);
    }

    [Fact]
    public async Task Dashboard_CounterUpdateIntervalMs_sets_how_often_the_dashboard_samples()
    {
        await using var silo = BuildSilo(["--Dashboard:CounterUpdateIntervalMs=2000"]);

        Assert.Equal(2_000, silo.Services.GetRequiredService<IOptions<DashboardOptions>>().Value.CounterUpdateIntervalMs);
    }

    private static WebApplication BuildSilo(string[] arguments)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = "Testing",
            Args = ["--Storage:ConnectionString=UseDevelopmentStorage=true", .. arguments],
        });
        builder.AddBillingSilo();
        return builder.Build();
    }
}
