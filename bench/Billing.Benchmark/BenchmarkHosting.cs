using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Billing.Benchmark;

public static partial class BenchmarkHosting
{
    /// <summary>
    /// An Orleans client that joins the cluster exactly as the API and every channel adapter do
    /// (<c>AddBillingClusterClient</c> of the adapter contract), plus the benchmark's own settings. Logs go to stderr so that stdout carries only the report.
    /// </summary>
    public static HostApplicationBuilder AddBenchmarkClient(this HostApplicationBuilder builder, string[] args)
    {
        builder.Configuration.AddCommandLine(args, BenchmarkSettings.Switches);
        var cluster = Bind<ClusterSettings>(builder.Configuration, ClusterSettings.Section);
        var bench = Bind<BenchmarkSettings>(builder.Configuration, BenchmarkSettings.Section);

        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.AddFilter("Orleans", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);

        builder.Services.AddSingleton(cluster);
        builder.Services.AddSingleton(bench);
        builder.Services.AddSingleton<BenchmarkRun>();

        builder.AddBillingClusterClient(client => client.UseConnectionRetryFilter<RetryBriefly>());
        return builder;
    }

    private static T Bind<T>(ConfigurationManager configuration, string section) where T : class, new()
    {
        var settings = configuration.GetSection(section).Get<T>() ?? new T();
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(settings, new ValidationContext(settings), results, validateAllProperties: true))
            throw new InvalidOperationException(
                $"Invalid {section} settings: {string.Join("; ", results.Select(r => $"{section}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"))}");
        return settings;
    }

    /// <summary>
    /// The silo may have just started (./bench.sh waits for it, but its gateway row can lag): retry the first
    /// connection for up to 30 s, then give up so the benchmark never waits forever.
    /// </summary>
    private sealed partial class RetryBriefly(ILogger<RetryBriefly> logger, ClusterSettings cluster) : IClientConnectionRetryFilter
    {
        private const int MaxAttempts = 30;
        private int _attempts;

        public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
        {
            if (++_attempts >= MaxAttempts)
                return false;
            NoGatewayYet(logger, cluster.ClusterId, _attempts, exception.Message);
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            return !cancellationToken.IsCancellationRequested;
        }

        [LoggerMessage(Level = LogLevel.Warning, Message = "No gateway of cluster {ClusterId} answered yet (attempt {Attempt}: {Reason}); retrying.")]
        private static partial void NoGatewayYet(ILogger logger, string clusterId, int attempt, string reason);
    }
}
