using System.Net;
using Azure.Data.Tables;
using Billing;
using Billing.Metering;
using Billing.Notifications;
using Microsoft.Extensions.Options;
using Billing.Storage.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;
using Orleans.Dashboard;

namespace Billing.Silo.Hosting;

public static class BillingSiloExtensions
{
    /// <summary>How long a stopping silo may take to leave the cluster gracefully.</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Hosts the billing silo in this web application: Azure Table clustering, grain storage and reminders on the
    /// one configured storage account, and the Orleans dashboard. Settings are validated at start-up.
    /// </summary>
    public static WebApplicationBuilder AddBillingSilo(this WebApplicationBuilder builder)
    {
        var storage = builder.Configuration.GetSection(StorageSettings.Section).Get<StorageSettings>() ?? new StorageSettings();
        var silo = builder.Configuration.GetSection(SiloSettings.Section).Get<SiloSettings>() ?? new SiloSettings();
        Validate(storage);
        Validate(silo);
        if (!IPAddress.TryParse(silo.AdvertisedIP, out var advertisedIp))
            throw new InvalidOperationException($"Orleans:AdvertisedIP '{silo.AdvertisedIP}' is not an IP address.");

        // Ctrl-C or SIGTERM: the silo leaves the cluster gracefully (marks itself dead in the membership table,
        // deactivates its grains) within this bound. Past it the host cancels the stop, so a storage account that is
        // already gone cannot hold the process for minutes of retries.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);

        builder.UseOrleans(siloBuilder =>
        {
            siloBuilder.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = silo.ClusterId;
                o.ServiceId = silo.ServiceId;
            });
            siloBuilder.ConfigureEndpoints(advertisedIp, silo.SiloPort, silo.GatewayPort, listenOnAnyHostAddress: false);
            siloBuilder.UseAzureTableClustering(o => o.ConnectionString = storage.ConnectionString);
            siloBuilder.AddBillingGrains(storage.ConnectionString);
            siloBuilder.AddDashboard();
        });
        return builder;
    }

    /// <summary>
    /// What every billing silo needs whatever hosts it (the real host or a test cluster): grain storage and
    /// reminders on Azure Tables, and the clock every billing rule reads (tests register a fake one first).
    /// </summary>
    public static ISiloBuilder AddBillingGrains(this ISiloBuilder siloBuilder, string storageConnectionString)
    {
        siloBuilder.AddAzureTableGrainStorage(StorageNames.Billing, o => o.ConnectionString = storageConnectionString);
        siloBuilder.UseAzureTableReminderService(o => o.ConnectionString = storageConnectionString);
        siloBuilder.Services.TryAddSingleton(BillingClock.System);
        siloBuilder.Services.AddMetrics();
        siloBuilder.Services.TryAddSingleton<Billing.Telemetry.BillingMetrics>();
        siloBuilder.Services.AddBillingNotifications(storageConnectionString);
        // The hot path's storage client: the SDK's per-request logging and tracing cost ~10% of its CPU (measured,
        // docs/benchmarks.md) and Orleans' own logs already name every failure.
        var tableOptions = new TableClientOptions();
        tableOptions.Diagnostics.IsLoggingEnabled = false;
        tableOptions.Diagnostics.IsDistributedTracingEnabled = false;
        siloBuilder.Services.AddSingleton(new BillingTables(new TableServiceClient(storageConnectionString, tableOptions)));
        siloBuilder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<BillingTables>());
        siloBuilder.Services.AddOptions<MeteringOptions>()
            .BindConfiguration(MeteringOptions.Section)
            .ValidateOnStart();
        siloBuilder.Services.AddSingleton<IValidateOptions<MeteringOptions>, MeteringOptionsValidator>();
        Billing.Payments.PaymentsServiceExtensions.AddBillingPayments(siloBuilder.Services, storageConnectionString);
        return siloBuilder;
    }

    public static WebApplication MapBillingSilo(this WebApplication app)
    {
        // The dashboard has no authentication of its own: it is bound to loopback by default (see README).
        app.MapOrleansDashboard(routePrefix: "/dashboard");
        app.MapGet("/", () => Results.Redirect("/dashboard"));
        return app;
    }

    /// <summary>Names every wrong Metering setting, so a misconfigured silo refuses to start with a useful message.</summary>
    private sealed class MeteringOptionsValidator : IValidateOptions<MeteringOptions>
    {
        public ValidateOptionsResult Validate(string? name, MeteringOptions options) =>
            options.Problems().ToList() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }

    private static void Validate<T>(T settings) where T : notnull
    {
        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        if (!System.ComponentModel.DataAnnotations.Validator.TryValidateObject(settings, new(settings), results, validateAllProperties: true))
            throw new InvalidOperationException($"Invalid {typeof(T).Name}: {string.Join("; ", results.Select(r => $"{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"))}");
    }
}
